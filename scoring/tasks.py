"""Celery tasks for scoring: thin, idempotent, taking ids and calling services."""

from celery import shared_task

from scoring import services
from scoring.models import JobStatus

CHUNKS_PER_TASK = 20  # ~20,000 leads, then the task sends itself again so other bulk work interleaves


@shared_task(acks_late=True)
def bulk_rescore(job_id: int, slice_id: int | None = None) -> str:
    try:
        job = services.run_rescore_job(job_id, slice_id, max_chunks=CHUNKS_PER_TASK)
    except Exception as exc:
        services.record_job_failure(job_id, exc)  # fails the job after a few tries; else the sweep retries
        raise
    if job.status == JobStatus.RUNNING and not services.slice_finished(slice_id):
        bulk_rescore.delay(job_id, slice_id)
    return job.status


@shared_task
def resume_stalled_jobs() -> list[int]:
    return services.resume_stalled_jobs()


@shared_task
def bulk_apply_decay() -> int:
    return services.apply_decay()
