"""Celery tasks for scoring: thin, idempotent, taking ids and calling services. The rescore
after a publish runs as a background job (jobs.tasks.bulk_run_job, kind "rescore")."""

from celery import shared_task

from scoring import services


@shared_task
def bulk_apply_decay() -> int:
    return services.apply_decay()
