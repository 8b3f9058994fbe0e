"""Nurture fixtures: a sequence built through the service, leads with consenting contacts, and the
step sweep run at a chosen moment."""

from datetime import timedelta

import pytest
from django.utils import timezone

from nurture import engine, services
from nurture.models import SequenceStatus
from tests.factories import ContactFactory, LeadFactory
from tests.followups.conftest import letter_template, shipped_defaults  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def no_quiet_hours(settings):
    """Tests run at any hour: the quiet hours are off unless a test sets them."""
    settings.CRM_NURTURE_QUIET_HOURS = (0, 0)
    settings.CRM_BASE_URL = "https://crm.example.com"


def sequence(steps, *, name="Warm-up", trigger="", trigger_days=0, start=True):
    made = services.save_sequence(name=name, trigger=trigger, trigger_days=trigger_days, steps=steps)
    return services.set_status(made.pk, SequenceStatus.ACTIVE) if start else made


def prospect(**contact):
    return LeadFactory(contact=ContactFactory(consent=True, **contact))


def sweep(at=None, *, days=0, hours=0):
    """Work everything due at `at` (or now + days/hours); returns how many enrolments it took."""
    at = at or timezone.now() + timedelta(days=days, hours=hours)
    total = 0
    while taken := engine.advance_due(now=at):
        total += taken
    return total


EMAIL = {
    "kind": "email",
    "subject": "Still thinking it over, {{ first_name }}?",
    "text": "See https://www.example.com/spring",
}
