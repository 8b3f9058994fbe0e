"""The scoreboard's rollups kept current: thin; reports.rollups does the counting."""

from celery import shared_task

from reports import rollups


@shared_task
def bulk_refresh_rollups() -> int:
    """Count the stale cohort days again (at most rollups.DAYS_A_RUN a run; from beat every 10 s).
    Reports are exact either way: a stale day is counted live until this catches up."""
    return rollups.refresh()
