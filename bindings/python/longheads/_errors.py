"""Exceptions and status codes of the longheads Python binding."""

from ._options import ENUMS

__all__ = ["Status", "Error", "InvalidArgumentError"]


Status = ENUMS["Status"]
Status.__doc__ = "The C API's ``lh_status`` values (the library's names: OK, INVALID_ARGUMENT, IO, ...)."


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
