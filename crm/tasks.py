from celery import shared_task

from crm.submissions import purge_old_submissions as purge


@shared_task
def purge_old_submissions() -> int:
    """A form's token matters for seconds (a double click); a day of them is plenty."""
    return purge()
