"""Offers in the work (redeemed from the console and the lead page, and counted by a won sale)
and the lead's complete timeline."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Redemption
from leads.selectors import lead_timeline
from sales import services as sales
from tests.factories import LeadFactory, live_offer, sales_ready_lead, signed_in_client

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
FACTS = {"inquiry_reason": "Furnace died", "desired_outcome": "Heat by Friday"}


def test_a_csr_redeems_a_live_offer_for_the_caller_once(users):
    offer = live_offer(quantity_limit=2)
    lead = LeadFactory()
    client = signed_in_client(users["csr"])
    page = client.get(f"/console/caller/{lead.pk}/").content.decode()
    assert f'<option value="{offer.pk}"' in page and "2 left" in page
    body = {"offer": offer.pk, "submission": "r-1"}
    response = client.post(f"/leads/{lead.pk}/redeem/", body, **HTMX)
    html = response.content.decode()
    assert 'data-testid="redeemed"' in html and "SPRING25" in html
    assert response["HX-Trigger"] == "offer-redeemed"
    client.post(f"/leads/{lead.pk}/redeem/", body, **HTMX)  # a double click
    offer.refresh_from_db()
    assert offer.redeemed == 1 and Redemption.objects.filter(lead=lead).count() == 1
    assert "1 left" in client.get("/console/offers/").content.decode()


def test_a_second_redemption_by_the_same_lead_is_refused_in_words(users):
    offer = live_offer()
    lead = LeadFactory()
    client = signed_in_client(users["csr"])
    client.post(f"/leads/{lead.pk}/redeem/", {"offer": offer.pk}, **HTMX)
    again = client.post(f"/leads/{lead.pk}/redeem/", {"offer": offer.pk}, **HTMX).content.decode()
    assert "This lead has already redeemed SPRING25." in again
    assert "HX-Trigger" not in client.post(f"/leads/{lead.pk}/redeem/", {"offer": "x"}, **HTMX)


def test_a_sold_out_offer_is_not_redeemed_and_the_page_says_why(users):
    offer = live_offer(quantity_limit=1)
    client = signed_in_client(users["csr"])
    client.post(f"/leads/{LeadFactory().pk}/redeem/", {"offer": offer.pk}, **HTMX)
    html = client.post(f"/leads/{LeadFactory().pk}/redeem/", {"offer": offer.pk}, **HTMX).content.decode()
    assert "sold out" in html
    offer.refresh_from_db()
    assert offer.redeemed == 1


def test_redeeming_without_htmx_lands_on_the_lead_page_with_the_message(users):
    offer = live_offer()
    lead = LeadFactory()
    response = signed_in_client(users["csr"]).post(f"/leads/{lead.pk}/redeem/", {"offer": offer.pk}, follow=True)
    assert response.redirect_chain[-1][0] == f"/leads/{lead.pk}/" and "Redeemed." in response.content.decode()


def test_a_salesperson_cannot_redeem_for_a_lead_they_do_not_see(users):
    offer = live_offer()
    lead = sales_ready_lead(owner=users["sales2"], **FACTS)
    response = signed_in_client(users["sales"]).post(f"/leads/{lead.pk}/redeem/", {"offer": offer.pk}, **HTMX)
    assert response.status_code == 404 and not Redemption.objects.exists()


def test_a_sale_closed_on_its_offer_counts_one_redemption(users):
    offer = live_offer()
    lead = sales_ready_lead(offer=offer, campaign=offer.campaign, owner=users["sales"], **FACTS)
    sales.close_lead(lead_id=lead.pk, outcome="won", by=users["sales"], amount="1200")
    offer.refresh_from_db()
    assert offer.redeemed == 1 and Redemption.objects.filter(lead=lead, offer=offer).count() == 1
    assert "<dd>99 of 100</dd>" in signed_in_client(users["csr"]).get("/briefing/").content.decode()


def test_a_sale_after_a_redemption_does_not_count_it_again(users):
    offer = live_offer()
    lead = sales_ready_lead(offer=offer, owner=users["sales"], **FACTS)
    signed_in_client(users["csr"]).post(f"/leads/{lead.pk}/redeem/", {"offer": offer.pk}, **HTMX)
    sales.close_lead(lead_id=lead.pk, outcome="won", by=users["sales"], amount="1200")
    offer.refresh_from_db()
    assert offer.redeemed == 1


def test_a_sale_on_a_sold_out_offer_still_closes_without_passing_the_limit(users):
    offer = live_offer(quantity_limit=1)
    offer.redeemed = 1
    offer.save(update_fields=["redeemed"])
    lead = sales_ready_lead(offer=offer, owner=users["sales"], **FACTS)
    sales.close_lead(lead_id=lead.pk, outcome="won", by=users["sales"], amount="1200")
    lead.refresh_from_db()
    offer.refresh_from_db()
    assert lead.stage == "won" and offer.redeemed == 1 and not Redemption.objects.filter(lead=lead).exists()


def test_the_timeline_holds_claims_handovers_acceptance_redemptions_stages_and_scores(users):
    offer = live_offer()
    lead = sales_ready_lead(**FACTS)
    manager, seller, other = users["manager"], users["sales"], users["sales2"]
    sales.claim_lead(lead_id=lead.pk, by=seller)
    sales.handover_lead(lead_id=lead.pk, owner_id=other.pk, by=manager)
    sales.accept_lead(lead_id=lead.pk, by=other)
    signed_in_client(users["csr"]).post(f"/leads/{lead.pk}/redeem/", {"offer": offer.pk}, **HTMX)
    sales.close_lead(lead_id=lead.pk, outcome="won", by=other, amount="900")
    kinds = [entry["type"] for entry in reversed(lead_timeline(lead))]  # oldest first
    assert kinds[:5] == ["interaction", "score", "interaction", "score", "stage"]  # a call, answers: sales-ready
    assert kinds[5:9] == ["handover", "handover", "accepted", "redemption"]
    assert kinds[9:] == ["stage", "score"]
    html = signed_in_client(manager).get(f"/leads/{lead.pk}/").content.decode()
    for words in (
        "Claimed</strong> by sales1",
        "Handed over</strong> to sales2 by manager1",
        "Accepted</strong> by sales2",
    ):
        assert words in html
    assert "Offer redeemed</strong>" in html and "Won" in html


def test_timeline_times_read_relative_with_the_exact_time_on_hover(users):
    lead = LeadFactory()
    lead.interactions.create(kind="note", note="hello", occurred_at=timezone.now() - timedelta(hours=3))
    html = signed_in_client(users["csr"]).get(f"/leads/{lead.pk}/").content.decode()
    assert ">3\xa0hours ago</time>" in html and 'title="' in html


def test_a_sale_on_a_draft_offers_code_or_after_another_redemption_counts_nothing(users):
    draft = live_offer("DRAFT1", launched_at=None)
    lead = sales_ready_lead(offer=draft, owner=users["sales"], **FACTS)
    sales.close_lead(lead_id=lead.pk, outcome="won", by=users["sales"], amount="100")
    draft.refresh_from_db()
    assert draft.redeemed == 0 and not Redemption.objects.exists()

    came_on, took = live_offer("CAMEON"), live_offer("TOOK", campaign="Autumn")
    lead = sales_ready_lead(offer=came_on, owner=users["sales"], **FACTS)
    signed_in_client(users["csr"]).post(f"/leads/{lead.pk}/redeem/", {"offer": took.pk}, **HTMX)
    sales.close_lead(lead_id=lead.pk, outcome="won", by=users["sales"], amount="100")
    came_on.refresh_from_db()
    assert came_on.redeemed == 0 and list(
        Redemption.objects.filter(lead=lead).values_list("offer__code", flat=True)
    ) == ["TOOK"]
