"""The ``sardana-nxsas`` command line: :mod:`.main` parses and dispatches, one module
per group of subcommands does the work."""
