"""A throwaway real Tango DB + Sardana on loopback, and a client that drives its Door.

Used by ``sardana-nxsas demo``, ``sardana-nxsas setup`` and the system tests::

    with TangoDatabase(workdir) as db, SardanaServer(db, workdir, macro_path=[...]) as sardana:
        result = sardana.door().run("ct 0.1")

Only this package talks to Tango (PyTango); it never imports sardana or taurus.
Submodules are imported explicitly, so that ``macro`` and ``ports`` stay usable
without PyTango being loaded.
"""
