"""A worker that starts asks for a sweep at once, so work a killed worker left behind resumes
as soon as a worker is back (not only at beat's next sweep)."""

import logging

from celery.signals import worker_ready

logger = logging.getLogger(__name__)


@worker_ready.connect
def sweep_when_a_worker_starts(**kwargs):
    from jobs.tasks import resume_stalled_jobs

    try:
        resume_stalled_jobs.delay()
    except Exception:
        logger.exception("Could not ask for a sweep of stalled jobs")
