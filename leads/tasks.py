"""Celery tasks for leads: thin wrappers that call services."""

from celery import shared_task

from leads.capture import purge_expired_idempotency_records as purge


@shared_task
def purge_expired_idempotency_records() -> int:
    return purge()


@shared_task
def alert_waiting_hot_leads() -> dict:
    from leads.sales import alert_on_waiting_hot_leads

    return alert_on_waiting_hot_leads()
