"""A bulk rescore keeps its ScoreChanges in one INSERT (leads.scores.write_changes), stamped as
Django's auto_now_add would: when they are written, after the leads' locks, and stored as the
ORM stores a time, so the history reads in the order the score moved on either database."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from leads.models import Lead
from leads.scores import rescore_locked
from scoring.models import ScoreChange
from scoring.services import published_rule_book
from tests.followups.conftest import unclosed_lead

pytestmark = pytest.mark.django_db


def test_a_bulk_rescores_changes_are_stamped_when_written_and_stored_as_the_orm_stores_them():
    lead = unclosed_lead(consent=True)
    Lead.objects.filter(pk=lead.pk).update(score=0, temperature="cold")  # its score will move
    ScoreChange.objects.create(
        lead=lead,
        old_score=1,
        new_score=0,
        old_temperature="cold",
        new_temperature="cold",
        reason="orm",
        rules_version=1,
    )
    began = timezone.now()
    long_ago = began - timedelta(hours=1)  # the rescore's own clock, read before it waited for the locks
    locked = list(Lead.objects.select_related("contact__company").filter(pk=lead.pk))
    rescore_locked(locked, book=published_rule_book(), reason="bulk", now=long_ago)

    bulk = ScoreChange.objects.get(lead=lead, reason="bulk")
    assert bulk.changed_at >= began
    ours = ScoreChange.objects.filter(lead=lead, reason__in=["bulk", "orm"])
    assert list(ours.values_list("reason", flat=True)) == ["bulk", "orm"]  # newest first
    assert ScoreChange.objects.filter(lead=lead, changed_at__gte=began).get() == bulk
    with connection.cursor() as cursor:  # one way of writing a time in the column (SQLite keeps text)
        cursor.execute(
            "SELECT changed_at FROM scoring_scorechange WHERE lead_id = %s AND reason IN ('orm', 'bulk') ORDER BY id",
            [lead.pk],
        )
        orm, written = (row[0] for row in cursor.fetchall())
    assert _with_offset(orm) == _with_offset(written)


def _with_offset(value) -> bool:
    """Whether a stored time carries its UTC offset (an aware datetime, or text ending in one)."""
    if isinstance(value, str):
        return "+" in value[19:] or value.endswith("Z")
    return value.tzinfo is not None
