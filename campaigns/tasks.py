"""Celery tasks for campaigns: thin wrappers around services."""

from celery import shared_task

from campaigns.briefing import send_staff_briefing as send


@shared_task
def send_staff_briefing() -> int:
    return send()
