"""Celery tasks for leads: thin wrappers that call services."""

from celery import shared_task

from leads.capture import purge_expired_idempotency_records as purge
from leads.rescore import apply_decay


@shared_task
def purge_expired_idempotency_records() -> int:
    return purge()


@shared_task
def bulk_apply_decay() -> int:
    """Beat, daily: rescore the open leads whose recency decay moved on a week."""
    return apply_decay()
