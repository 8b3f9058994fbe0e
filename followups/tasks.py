"""Celery tasks for follow-ups and letters: thin; the rows are the schedule. (Letter batches
run as background jobs: jobs.tasks.bulk_run_job, kind "letters".)"""

from celery import shared_task

from followups import services


@shared_task
def mark_due_followups() -> int:
    return services.mark_due()


@shared_task
def alert_overdue_followups() -> int:
    return services.alert_overdue()
