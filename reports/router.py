"""Report queries read from their own database alias (a replica where there is one).

Only the scoreboard's reads are routed: its selectors run inside `reading_reports()`, and the
router sends every read made there to `settings.CRM_REPORTS_DATABASE`. Everything else, and
every write, stays on the default database, so nothing that must see its own writes at once
(a claim, a capture) ever reads from a replica that lags.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

_reading = ContextVar("reading_reports", default=False)


@contextmanager
def reading_reports():
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def reports_alias() -> str:
    return settings.CRM_REPORTS_DATABASE


class ReportsRouter:
    def db_for_read(self, model, **hints):
        return reports_alias() if _reading.get() else None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the default database

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == "reports" else None  # a replica is migrated through its primary
