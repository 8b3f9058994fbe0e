"""The staff briefing: every live offer, where it runs, its deadline, what is left and its upsell.

The same content is the /briefing/ page (printable for the weekly meeting) and the weekly
e-mail that Celery beat sends to all staff, so the CSR who picks up the phone knows the offer
the caller is holding (seed 000).
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
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
    """E-mail the briefing to every active user with a role and an address; returns how many."""
    context = briefing(now)
    recipients = list(
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[role.value for role in Role])
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    if not recipients:
        return 0
    text = render_to_string("campaigns/briefing_email.txt", context)
    html = render_to_string("campaigns/briefing_email.html", context)
    subject = f"[Lead CRM] This week's offers: {len(context['offers'])} live"
    for email in recipients:  # one message each: nobody sees the staff list
        send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [email], html_message=html)
    return len(recipients)
