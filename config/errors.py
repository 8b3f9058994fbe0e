"""Domain errors that services raise and the API maps to HTTP answers in one place, and how to
tell a database out of reach (answered 503 with Retry-After) from a bug."""


class Conflict(Exception):
    """The request is valid but the state forbids it (HTTP 409). `missing` lists unmet criteria."""

    def __init__(self, detail: str, missing: list[str] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.missing = missing or []


def error_text(exc: Exception) -> str:
    """Every reason of a refusal (a Conflict, or a Django ValidationError of any shape) as one
    line, for a page's message or a command's error."""
    if isinstance(exc, Conflict):
        return exc.detail
    return " ".join(getattr(exc, "messages", [str(exc)]))


# --- The database out of reach --------------------------------------------------------------------

DATABASE_RETRY_AFTER = 30  # seconds: long enough for a restart or a fail-over, short for a visitor
DATABASE_UNREACHABLE = "The database cannot be reached just now. Nothing was saved: try again in a minute."
# PostgreSQL's SQLSTATEs for a server that went away or will not take a connection: class 08
# (connection exception), 57P01-57P03 (shut down, crashed, starting up), 53300 (too many connections).
_PG_UNREACHABLE = ("08", "57P01", "57P02", "57P03", "53300")
# SQLite's: the file cannot be opened, or another writer holds the lock past the timeout.
_SQLITE_UNREACHABLE = ("SQLITE_CANTOPEN", "SQLITE_BUSY")


def database_unreachable(exc: BaseException | None) -> bool:
    """True when `exc` says the database could not be reached (refused, gone, shutting down,
    locked), which retrying later cures; False for every other error, a bad query included,
    which stays a 500 with its traceback."""
    from django.db import InterfaceError, OperationalError

    if isinstance(exc, InterfaceError):  # the connection is already closed
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__ or exc
    if getattr(cause, "sqlite_errorname", None) is not None:
        return cause.sqlite_errorname in _SQLITE_UNREACHABLE
    code = getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)
    if code is None:  # psycopg's own errors: refused, timed out, server closed the connection
        return True
    return code.startswith(_PG_UNREACHABLE)
