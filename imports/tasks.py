"""Celery tasks of list imports: thin. The import itself runs as a job (jobs.tasks.bulk_run_job)."""

from celery import shared_task

from imports import services


@shared_task
def purge_import_files() -> dict:
    """Hourly: the retention of uploads, drafts and rejected-rows files (services.purge_import_files)."""
    return services.purge_import_files()
