"""The sales pages with the Django test client: queue, claim, handover, close, waiting, notifications."""

import pytest

from leads.models import Lead
from notifications.models import Notification
from tests.factories import ContactFactory, handed_over_lead, hot_lead, lead_after, sales_ready_lead, signed_in_client

pytestmark = pytest.mark.django_db
FACTS = {"inquiry_reason": "Furnace died", "desired_outcome": "Heat by Friday"}


def test_queue_page_shows_the_pool_and_escapes_names(users):
    sales_ready_lead(contact=ContactFactory(first_name="<script>x</script>"), **FACTS)
    html = signed_in_client(users["sales"]).get("/queue/").content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x</script>" not in html
    assert "Furnace died" in html


def test_claim_next_on_the_page_opens_the_lead_or_says_the_pool_is_empty(users):
    client = signed_in_client(users["sales"])
    empty = client.post("/queue/claim/", follow=True)
    assert "The pool is empty" in empty.content.decode()
    lead = sales_ready_lead(**FACTS)
    response = client.post("/queue/claim/")
    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.pk}/"
    assert Lead.objects.get(pk=lead.pk).owner == users["sales"]


def test_csrs_and_marketing_have_no_queue(users):
    assert signed_in_client(users["csr"]).get("/queue/").status_code == 403
    assert signed_in_client(users["marketing"]).get("/queue/").status_code == 403


def test_handover_refusal_shows_what_is_missing(users):
    lead = lead_after({"timeline": "this_month"})  # 20
    page = signed_in_client(users["manager"]).post(
        f"/leads/{lead.pk}/handover/", {"owner": users["sales"].pk}, follow=True
    )
    assert "Not sales-ready yet: needs a score of at least 60 (now 20)" in page.content.decode()
    assert Lead.objects.get(pk=lead.pk).owner is None


def test_closing_with_a_negative_amount_shows_the_error_and_changes_nothing(users):
    lead = sales_ready_lead(owner=users["sales"], **FACTS)
    page = signed_in_client(users["sales"]).post(
        f"/leads/{lead.pk}/close/", {"outcome": "won", "amount": "-3"}, follow=True
    )
    assert "The amount cannot be negative." in page.content.decode()
    assert Lead.objects.get(pk=lead.pk).stage == "sales_ready"


def test_the_owner_sees_accept_and_close_others_do_not(users):
    lead = handed_over_lead(users["sales"], by=users["manager"], **FACTS)
    mine = signed_in_client(users["sales"]).get(f"/leads/{lead.pk}/").content.decode()
    assert "Accept this lead" in mine and "Close the lead" in mine
    csr_view = signed_in_client(users["csr"]).get(f"/leads/{lead.pk}/").content.decode()
    assert "Close the lead" not in csr_view and "Hand over to" not in csr_view


def test_managers_see_waiting_hot_leads_and_notifications_get_read(users):
    from datetime import timedelta

    from django.utils import timezone

    lead = hot_lead(**FACTS)
    Lead.objects.filter(pk=lead.pk).update(hot_since=timezone.now() - timedelta(hours=3))
    client = signed_in_client(users["manager"])
    assert str(lead.contact) in client.get("/waiting/").content.decode()
    Notification.objects.create(user=users["manager"], lead=lead, message="Hot lead waiting")
    assert 'class="nav-badge">1<' in client.get("/leads/").content.decode()
    assert "Hot lead waiting" in client.get("/notifications/").content.decode()
    assert Notification.objects.get().read_at is None  # reading the page changes nothing
    marked = client.post("/notifications/read/", follow=True)
    assert "Marked 1 notification read." in marked.content.decode()
    assert Notification.objects.get().read_at is not None
    assert 'class="nav-badge"' not in client.get("/leads/").content.decode()


def test_marketing_reads_sales_feedback_per_campaign_and_source(users):
    from sales.services import record_feedback

    lead = sales_ready_lead(owner=users["sales"], source="letter", **FACTS)
    record_feedback(lead_id=lead.pk, by=users["sales"], rating=4, reason="Knew what they wanted")
    html = signed_in_client(users["marketing"]).get("/feedback/").content.decode()
    assert "letter" in html and "4.0" in html
    assert signed_in_client(users["csr"]).get("/feedback/").status_code == 403
