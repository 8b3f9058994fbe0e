"""A contact erased on request is closed for good: the pages no longer offer what would record
something about them (log an interaction, a callback, a redemption, a rating, an edit), and the
services refuse it anyway (409), so a page opened before the erasure or a script changes nothing."""

import pytest
from django.utils.html import escape

from config.errors import Conflict
from crm.erased import ERASED
from data_rights.services import erase_contact
from followups import services as followups
from followups.models import FollowUp
from leads.models import Interaction, Lead, LeadFeedback
from leads.redemptions import redeem_offer
from leads.services import log_interaction, update_lead
from sales import services as sales
from tests.factories import ContactFactory, LeadFactory, live_offer, signed_in_client, won_lead

pytestmark = pytest.mark.django_db

WRITES = ["Log an interaction", "Schedule a callback", "How good was this lead?", "Redeem an offer", "Edit</a>"]


@pytest.fixture
def erased(users):
    """A customer won by `sales`, then erased on request: the won lead stays (the figures count it)."""
    lead = won_lead(
        "4321",
        by=users["sales"],
        contact=ContactFactory(first_name="Augusta", last_name="Byron"),
        inquiry_reason="Old boiler",
        desired_outcome="Warm house",
    )
    live_offer("SPRING25")
    erase_contact(contact_id=lead.contact_id, by=users["manager"])
    return Lead.objects.select_related("contact").get(pk=lead.pk)


def test_the_lead_page_and_the_console_offer_nothing_that_would_write(erased, users):
    for role in ("manager", "sales"):
        client = signed_in_client(users[role])
        for path in (f"/leads/{erased.pk}/", f"/console/caller/{erased.pk}/"):
            html = client.get(path).content.decode()
            offered = [action for action in WRITES if action in html]
            assert not offered, (role, path, offered)
        assert 'data-testid="contact-erased"' in client.get(f"/leads/{erased.pk}/").content.decode()
    live = LeadFactory()  # the same pages still offer them for anyone else
    html = signed_in_client(users["manager"]).get(f"/leads/{live.pk}/").content.decode()
    assert all(action in html for action in ("Log an interaction", "Schedule a callback", "Redeem an offer"))


def test_every_service_that_would_write_refuses_and_writes_nothing(erased, users):
    before = (Interaction.objects.count(), FollowUp.objects.count(), LeadFeedback.objects.count())
    refusals = [
        lambda: log_interaction(lead_id=erased.pk, kind="call_inbound", author=users["csr"], note="Called back"),
        lambda: update_lead(erased, by=users["csr"], inquiry_reason="Typed back in"),
        lambda: followups.schedule_callback(lead_id=erased.pk, due_at="2030-01-01T10:00:00Z", by=users["csr"]),
        lambda: redeem_offer(offer_id=live_offer("FALL10").pk, lead_id=erased.pk, by=users["csr"]),
        lambda: sales.record_feedback(lead_id=erased.pk, by=users["sales"], rating=4, reason="Fine"),
        lambda: sales.accept_lead(lead_id=erased.pk, by=users["sales"]),
    ]
    for refused in refusals:
        with pytest.raises(Conflict, match="erased on request"):
            refused()
    assert (Interaction.objects.count(), FollowUp.objects.count(), LeadFeedback.objects.count()) == before
    assert Lead.objects.get(pk=erased.pk).inquiry_reason == ""


def test_the_api_answers_409_and_a_page_opened_before_the_erasure_says_why(erased, users, api_as):
    api = api_as(users["manager"])
    logged = api.post(f"/api/v1/leads/{erased.pk}/interactions/", {"kind": "call_inbound"}, format="json")
    assert logged.status_code == 409 and logged.json()["detail"] == ERASED
    patched = api.patch(f"/api/v1/leads/{erased.pk}/", {"inquiry_reason": "x"}, format="json")
    assert patched.status_code == 409
    callback = api.post("/api/v1/followups/", {"lead": erased.pk, "due_at": "2030-01-01T10:00:00Z"}, format="json")
    assert callback.status_code == 409

    page = signed_in_client(users["manager"])
    calls = Interaction.objects.filter(lead=erased, kind="call_inbound").count()  # the one before the sale
    stale = page.post(f"/leads/{erased.pk}/log/", {"kind": "call_inbound", "note": "x"}, follow=True)
    assert stale.redirect_chain == [(f"/leads/{erased.pk}/", 302)]
    assert escape(ERASED) in stale.content.decode()
    stale = page.post(
        f"/leads/{erased.pk}/callback/",
        {"callback-due_at": "2030-01-01T10:00", "callback-note": "x"},
        HTTP_HX_REQUEST="true",
    )
    assert stale["HX-Redirect"] == f"/leads/{erased.pk}/"
    assert not FollowUp.objects.filter(lead=erased, kind="callback").exists()
    assert escape(ERASED) in page.get(f"/leads/{erased.pk}/").content.decode()  # the message, once there
    assert Interaction.objects.filter(lead=erased, kind="call_inbound").count() == calls
