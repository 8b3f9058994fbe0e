"""Celery tasks for campaigns: thin wrappers around services."""

from celery import shared_task

from campaigns import briefing


@shared_task
def send_staff_briefing() -> int:
    """This week's briefing, on Monday from 07:00 (beat asks every 10 minutes; once a week)."""
    return briefing.send_staff_briefing_if_due()


@shared_task
def alert_on_offers() -> dict:
    from campaigns.services import alert_on_offers as alert

    return alert()
