"""Errors the operator sees: one line that says what to fix."""


class NxsError(Exception):
    """Base of every error raised on purpose by sardana-nxsas.

    The message is a single line addressed to the operator; spock and the
    command line print it as it is, without a traceback.
    """


class ConfigError(NxsError):
    """The configuration (environment, files, data root) is not usable."""


class InvalidNameError(NxsError):
    """A prefix, title or path would make an invalid or escaping file name."""


class UnknownPrefixError(NxsError):
    """The prefix is not one of the configured prefixes."""


class SessionError(NxsError):
    """nxsbegin/ct/nxsend were called in an order that does not make sense."""


class FileExistsNxsError(NxsError):
    """A file would be overwritten; sardana-nxsas never does that."""


class FileBusyError(NxsError):
    """Another process (a viewer, a validate) holds the file's HDF5 lock: try again later.

    A job that meets it is not a failed attempt: it waits, however long the reader keeps
    the file, and its exposure's or scan's later jobs wait behind it."""
