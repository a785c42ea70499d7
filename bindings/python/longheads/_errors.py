"""Exceptions and status codes of the longheads Python binding."""

import enum

__all__ = ["Status", "Error", "InvalidArgumentError"]


class Status(enum.IntEnum):
    """The C API's ``lh_status`` values."""

    OK = 0
    INVALID_ARGUMENT = 1
    IO = 2
    BAD_FORMAT = 3
    UNSUPPORTED = 4
    OUT_OF_MEMORY = 5
    CONTEXT_FULL = 6
    BUFFER_TOO_SMALL = 7
    CANCELLED = 8
    BUSY = 9
    INTERNAL = 10
    NUMERIC = 11


def _status(value):
    try:
        return Status(value)
    except ValueError:
        return value


class Error(RuntimeError):
    """A call into the longheads library failed.

    Attributes:
        status: the :class:`Status` the C API returned (``Status.IO`` for a missing file,
            ``Status.BAD_FORMAT`` for a corrupted one, ...).
        message: what went wrong, as the library explained it (``lh_last_error()``).
    """

    def __init__(self, message, status=Status.INTERNAL):
        super().__init__(message)
        self.message = message
        self.status = _status(status)

    def __str__(self):
        return self.message

    def __repr__(self):
        status = "Status." + self.status.name if isinstance(self.status, Status) else repr(self.status)
        return "{}({!r}, status={})".format(type(self).__name__, self.message, status)

    def __reduce__(self):
        return (type(self), (self.message, int(self.status)))


class InvalidArgumentError(Error, ValueError):
    """A value the library refused (``Status.INVALID_ARGUMENT``): an out-of-range token id,
    a bad parameter combination, a closed object. Also a :class:`ValueError`."""

    def __init__(self, message, status=Status.INVALID_ARGUMENT):
        super().__init__(message, status)
