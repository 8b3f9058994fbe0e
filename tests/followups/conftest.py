"""Follow-up and letter fixtures: the shipped scripts and letter, a lead closed unclosed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leads.kinds import Stage
from tests.factories import ContactFactory, LeadFactory


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


def unclosed_lead(days_ago=40, **contact):
    """A lead closed unclosed `days_ago` days ago."""
    lead = LeadFactory(stage=Stage.UNCLOSED, contact=ContactFactory(**contact))
    lead.closed_at = timezone.now() - timedelta(days=days_ago)
    lead.save(update_fields=["closed_at"])
    return lead
