"""Logging filters."""

import logging


class OneLineForbidden(logging.Filter):
    """A refused request (403) is routine, not a crash: Django logs it with the exception's
    traceback, which buries real errors. Keep the one line "Forbidden (…): /path"."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
