"""Redemptions on PostgreSQL: sixteen callers at once, exactly the limit succeed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, Offer, Redemption
from config.errors import Conflict
from leads.redemptions import redeem_offer
from tests.factories import LeadFactory
from tests.leads.test_concurrency import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_sixteen_redemptions_at_once_never_pass_the_limit():
    now = timezone.now()
    offer = Offer.objects.create(
        campaign=Campaign.objects.create(name="Rush"),
        code="RUSH5",
        headline="Five only",
        starts_at=now - timedelta(days=1),
        deadline=now + timedelta(days=1),
        quantity_limit=5,
        launched_at=now,
    )
    leads = LeadFactory.create_batch(16)

    def redeem(i):
        try:
            redeem_offer(offer_id=offer.pk, lead_id=leads[i].pk)
            return "ok"
        except Conflict:
            return "refused"

    results = run_at_once(16, redeem)
    assert results.count("ok") == 5 and results.count("refused") == 11
    assert Offer.objects.get(pk=offer.pk).redeemed == 5
    assert Redemption.objects.count() == 5
