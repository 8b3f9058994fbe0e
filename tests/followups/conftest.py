"""Follow-up and letter fixtures: the shipped scripts and letter, a lead closed unclosed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leads.kinds import Stage
from leads.models import Lead
from tests.factories import ContactFactory, closed_lead


@pytest.fixture(autouse=True)
def shipped_defaults(db):
    """What migration 0002 ships (a flushed transactional test may have removed it)."""
    from followups.defaults import LETTER, SCRIPTS
    from followups.models import FollowUpScript, LetterTemplate

    for script in SCRIPTS:
        FollowUpScript.objects.get_or_create(name=script["name"], defaults=script)
    LetterTemplate.objects.get_or_create(name=LETTER["name"], defaults=LETTER)


@pytest.fixture
def letter_template():
    from followups.models import LetterTemplate

    return LetterTemplate.objects.get(name__startswith="Unclosed prospect")


def unclosed_lead(days_ago=40, *, by=None, claim=True, **contact):
    """A lead closed unclosed (through the close service, tests.factories.closed_lead) `days_ago`
    days ago."""
    lead = closed_lead(Stage.UNCLOSED, by=by, claim=claim, contact=ContactFactory(**contact))
    Lead.objects.filter(pk=lead.pk).update(closed_at=timezone.now() - timedelta(days=days_ago))
    lead.refresh_from_db()
    return lead
