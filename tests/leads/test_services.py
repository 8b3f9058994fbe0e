"""Lead services: the stage transition table and stage history."""

import pytest
from django.utils import timezone

from config.errors import Conflict
from leads.models import Lead
from leads.stages import change_stage
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def in_stage(stage: str) -> Lead:
    """A bare lead in `stage`, to try the transition table itself on: only this unit test needs a
    stage no history led to (the other tests build leads with tests.factories)."""
    return Lead.objects.create(
        contact=ContactFactory(), stage=stage, sales_ready_at=timezone.now() if stage == "sales_ready" else None
    )


@pytest.mark.parametrize(
    "start,end",
    [
        ("list", "inquiry"),
        ("inquiry", "sales_ready"),
        ("sales_ready", "won"),
        ("inquiry", "unclosed"),
        ("unclosed", "inquiry"),
        ("won", "customer"),
        ("inquiry", "dead"),
    ],
)
def test_allowed_moves_are_recorded_with_who_and_why(start, end, users):
    lead = in_stage(start)
    change = change_stage(lead, to_stage=end, by=users["manager"], reason="test")
    lead.refresh_from_db()
    assert lead.stage == end
    assert (change.from_stage, change.to_stage, change.changed_by, change.reason) == (
        start,
        end,
        users["manager"],
        "test",
    )


@pytest.mark.parametrize(
    "start,end",
    [
        ("list", "won"),
        ("dead", "inquiry"),
        ("won", "inquiry"),
        ("customer", "dead"),
        ("inquiry", "customer"),
        ("inquiry", "inquiry"),
    ],
)
def test_forbidden_moves_are_refused_and_leave_no_trace(start, end):
    lead = in_stage(start)
    with pytest.raises(Conflict):
        change_stage(lead, to_stage=end)
    lead.refresh_from_db()
    assert lead.stage == start and not lead.stage_changes.exists()
