"""Celery tasks for background jobs: thin, taking ids, calling jobs.services."""

from celery import shared_task

from jobs import services

CHUNKS_PER_TASK = 20  # then the task sends itself again, so other bulk work interleaves


@shared_task(acks_late=True)
def bulk_run_job(job_id: int, slice_id: int | None = None, lease: str = "") -> str:
    """Work up to CHUNKS_PER_TASK chunks of one slice, then send the next part (carrying the
    slice's lease). What one chunk holds in memory is the kind's business (see its docstring)."""
    try:
        job, next_lease = services.run_job(job_id, slice_id, lease=lease, max_chunks=CHUNKS_PER_TASK)
    except Exception as exc:
        services.record_job_failure(job_id, exc)  # fails the job after a few tries; else the sweep retries
        raise
    if next_lease:
        try:
            bulk_run_job.delay(job_id, slice_id, next_lease)
        except Exception as exc:  # the broker went away: the sweep re-sends once the slice goes quiet
            services.record_send_failure(job_id, exc, slice_id=slice_id, lease=next_lease)
    return job.status


@shared_task
def resume_stalled_jobs() -> list[int]:
    return services.resume_stalled_jobs()
