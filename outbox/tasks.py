"""Celery tasks for the outbox: thin; the rows are the record, these only send them."""

from celery import shared_task

from outbox import services


@shared_task
def send_emails(email_ids: list[int]) -> int:
    return sum(services.send_email(pk) for pk in email_ids)


@shared_task
def send_pending_emails() -> int:
    return services.send_pending()
