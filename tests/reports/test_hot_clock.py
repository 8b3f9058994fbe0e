"""The hot clock starts when a prospect turns hot, never when a sale pins the score at 100."""

import pytest

from leads.models import Lead
from reports.periods import parse_period
from reports.selectors import summary
from tests.factories import won_lead

pytestmark = pytest.mark.django_db


def test_a_sale_that_pins_the_score_at_100_is_not_a_hot_lead_nobody_answered(users):
    lead = won_lead("900", by=users["sales"])  # sales-ready at 60 (warm), claimed and closed won
    lead.refresh_from_db()
    assert (lead.score, lead.temperature) == (100, "hot")
    assert lead.first_hot_at is None and lead.hot_since is None
    assert summary(parse_period({}))["hot_unanswered"] == 0
    assert Lead.objects.filter(first_hot_at__isnull=False).count() == 0
