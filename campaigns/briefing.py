"""The staff briefing: every live offer, where it runs, its deadline, what is left and its upsell.

The same content is the /briefing/ page (printable for the weekly meeting) and the weekly
e-mail that Celery beat sends to all staff, so the CSR who picks up the phone knows the offer
the caller is holding (seed 000).
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from campaigns.selectors import live_offers
from crm.roles import Role

EXPIRING_SOON = timedelta(days=7)


def briefing(now=None) -> dict:
    now = now or timezone.now()
    offers = live_offers(now)
    for offer in offers:
        offer.expiring_soon = offer.deadline - now <= EXPIRING_SOON
        offer.days_left = max((offer.deadline - now).days, 0)
    return {"offers": offers, "now": now}


def send_staff_briefing(now=None) -> int:
    """Queue this week's briefing for every active user with a role and an address, one
    message each (nobody sees the staff list); returns how many were queued. The outbox sends
    each exactly once: running this twice in a week queues nothing new."""
    from outbox.services import Message, queue_emails

    context = briefing(now)
    recipients = list(
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[role.value for role in Role])
        .exclude(email="")
        .values_list("pk", "email")
        .distinct()
    )
    if not recipients:
        return 0
    year, week, _ = context["now"].isocalendar()
    text = render_to_string("campaigns/briefing_email.txt", context)
    html = render_to_string("campaigns/briefing_email.html", context)
    subject = f"[Lead CRM] This week's offers: {len(context['offers'])} live"
    with transaction.atomic():
        queued = queue_emails(
            [
                Message(key=f"briefing:{year}-W{week:02d}:user:{pk}", to=email, subject=subject, text=text, html=html)
                for pk, email in recipients
            ]
        )
    return len(queued)


BRIEFING_WEEKDAY, BRIEFING_HOUR = 0, 7  # Monday, 07:00 local time


def send_staff_briefing_if_due(now=None) -> int:
    """This week's briefing, once Monday 07:00 has come and it has not been queued yet this week.
    Beat asks every few minutes, so a broker that was down at 07:00 only delays it."""
    from outbox.models import Email

    now = timezone.localtime(now or timezone.now())
    monday = (now - timedelta(days=now.weekday())).replace(hour=BRIEFING_HOUR, minute=0, second=0, microsecond=0)
    if now < monday:
        return 0
    year, week, _ = now.isocalendar()
    if Email.objects.filter(key__startswith=f"briefing:{year}-W{week:02d}:").exists():
        return 0
    return send_staff_briefing(now)
