"""Follow-ups: scripts scheduled by a close, callbacks by hand, due and overdue alerts,
completing with answers and referrals (CONTRACT "Follow-ups and letters")."""

from datetime import timedelta

import pytest
from django.utils import timezone

from followups import services
from followups.models import FollowUp
from leads.kinds import Stage
from leads.models import Interaction, Lead
from notifications.models import Notification
from sales import services as sales
from tests.factories import ContactFactory, LeadFactory, closed_lead, sales_ready_lead

pytestmark = pytest.mark.django_db


def owned_lead(users, **fields):
    return sales_ready_lead(owner=users["sales"], inquiry_reason="x", desired_outcome="y", **fields)


def closed_won(users):
    lead = owned_lead(users)
    sales.close_lead(lead_id=lead.pk, outcome="won", amount="1200", by=users["sales"])
    return lead


def test_closing_won_schedules_the_after_sale_scripts_for_the_owner_and_the_pool(users):
    lead = closed_won(users)
    followups = {f.kind: f for f in FollowUp.objects.filter(lead=lead)}
    assert set(followups) == {"closed_won", "after_sale"}
    after_sale, advocacy = followups["closed_won"], followups["after_sale"]
    assert after_sale.assignee == users["sales"] and after_sale.status == "scheduled"
    assert advocacy.assignee is None and advocacy.pool == "CSR"
    closed_at = Lead.objects.get(pk=lead.pk).closed_at
    assert after_sale.due_at == closed_at + timedelta(days=3)
    assert advocacy.due_at == closed_at + timedelta(days=30)
    assert [q["key"] for q in after_sale.script] == ["needs_met", "more_info", "referral"]


def test_closing_unclosed_schedules_the_no_sale_script_and_dead_schedules_none(users):
    lead = owned_lead(users)
    sales.close_lead(lead_id=lead.pk, outcome="unclosed", reason="Thinking it over", by=users["sales"])
    assert list(FollowUp.objects.filter(lead=lead).values_list("kind", flat=True)) == ["closed_unclosed"]
    dead = owned_lead(users)
    sales.close_lead(lead_id=dead.pk, outcome="dead", reason="Wrong number", by=users["sales"])
    assert not FollowUp.objects.filter(lead=dead).exists()


def test_an_inactive_script_schedules_nothing(users):
    from followups.models import FollowUpScript

    FollowUpScript.objects.update(active=False)
    assert not FollowUp.objects.filter(lead=closed_won(users)).exists()


def test_a_callback_is_scheduled_for_whoever_asks_rescheduled_and_skipped(users, api_as):
    lead = LeadFactory()
    csr = api_as(users["csr"])
    tuesday = timezone.now() + timedelta(days=2)
    made = csr.post(
        "/api/v1/followups/", {"lead": lead.pk, "due_at": tuesday.isoformat(), "note": "At 10"}, format="json"
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["kind"], body["assignee"], body["status"], body["note"]) == (
        "callback",
        users["csr"].pk,
        "scheduled",
        "At 10",
    )

    later = tuesday + timedelta(days=1)
    moved = csr.patch(f"/api/v1/followups/{body['id']}/", {"due_at": later.isoformat()}, format="json")
    assert moved.status_code == 200 and moved.json()["due_at"].startswith(later.strftime("%Y-%m-%dT%H:%M"))
    assert csr.post(f"/api/v1/followups/{body['id']}/skip/", {}, format="json").status_code == 400
    skipped = csr.post(f"/api/v1/followups/{body['id']}/skip/", {"reason": "They bought elsewhere"}, format="json")
    assert skipped.status_code == 200 and skipped.json()["status"] == "skipped"
    assert csr.post(f"/api/v1/followups/{body['id']}/skip/", {"reason": "again"}, format="json").status_code == 409


def test_a_callback_in_the_past_or_for_someone_who_cannot_see_the_lead_is_refused(users, api_as):
    lead = LeadFactory(stage=Stage.INQUIRY)
    csr = api_as(users["csr"])
    past = csr.post("/api/v1/followups/", {"lead": lead.pk, "due_at": "2020-01-01T10:00:00Z"}, format="json")
    assert past.status_code == 400 and "due_at" in past.json()
    soon = (timezone.now() + timedelta(hours=1)).isoformat()
    hidden = csr.post(
        "/api/v1/followups/", {"lead": lead.pk, "due_at": soon, "assignee": users["sales"].pk}, format="json"
    )
    assert hidden.status_code == 400 and "cannot see this lead" in hidden.json()["assignee"][0]
    assert not FollowUp.objects.exists()


def test_the_list_filters_by_assignee_me_status_and_lead(users, api_as):
    lead, other = LeadFactory(), LeadFactory()
    soon = timezone.now() + timedelta(hours=2)
    services.schedule_callback(lead_id=lead.pk, due_at=soon, by=users["csr"])
    services.schedule_callback(lead_id=other.pk, due_at=soon, by=users["marketing"])
    csr = api_as(users["csr"])
    mine = csr.get("/api/v1/followups/?assignee=me&status=scheduled").json()["results"]
    assert [row["lead"] for row in mine] == [lead.pk]
    assert [row["lead"] for row in csr.get(f"/api/v1/followups/?lead={other.pk}").json()["results"]] == [other.pk]
    assert csr.get("/api/v1/followups/?assignee=x").status_code == 400


def test_a_salesperson_sees_only_the_follow_ups_of_leads_they_may_see(users, api_as):
    soon = timezone.now() + timedelta(hours=2)
    own = owned_lead(users)
    services.schedule_callback(lead_id=own.pk, due_at=soon, by=users["sales"])
    services.schedule_callback(lead_id=LeadFactory(stage=Stage.INQUIRY).pk, due_at=soon, by=users["csr"])
    rows = api_as(users["sales"]).get("/api/v1/followups/").json()["results"]
    assert [row["lead"] for row in rows] == [own.pk]


# --- Due and overdue -----------------------------------------------------------------------------


def test_due_follow_ups_are_announced_once_to_their_assignee_and_pools_get_one_line(users):
    users["sales"].email = "sales1@example.com"
    users["sales"].save()
    lead = closed_won(users)
    FollowUp.objects.update(due_at=timezone.now() - timedelta(minutes=1))
    assert services.mark_due() == 2
    assert services.mark_due() == 0
    assert set(FollowUp.objects.values_list("status", flat=True)) == {"due"}
    [mine] = Notification.objects.filter(user=users["sales"])
    assert mine.lead_id == lead.pk and "Follow-up due" in mine.message
    [pool_line] = Notification.objects.filter(user=users["csr"])
    assert pool_line.message.startswith("1 follow-up is due in the CSR pool")
    from outbox.models import Email

    assert Email.objects.filter(to_address="sales1@example.com").count() == 1


def test_a_follow_up_not_yet_due_is_left_scheduled(users):
    closed_won(users)
    assert services.mark_due() == 0
    assert not Notification.objects.filter(user=users["sales"]).exists()


def test_an_overdue_follow_up_alerts_its_assignee_and_the_managers_once(users, settings):
    lead = LeadFactory()
    followup = services.schedule_callback(
        lead_id=lead.pk, due_at=timezone.now() + timedelta(minutes=1), by=users["csr"]
    )
    FollowUp.objects.filter(pk=followup.pk).update(status="due", due_at=timezone.now() - timedelta(hours=30))
    assert services.alert_overdue() == 1 and services.alert_overdue() == 0
    alerted = set(Notification.objects.filter(message__startswith="Overdue").values_list("user__username", flat=True))
    assert alerted == {"csr1", "manager1"}


def test_offers_ending_within_a_day_or_nearly_sold_out_alert_marketing_once(users):
    from campaigns.models import Campaign, Offer
    from campaigns.services import alert_on_offers

    now = timezone.now()
    campaign = Campaign.objects.create(name="Spring")
    common = {"campaign": campaign, "headline": "x", "starts_at": now - timedelta(days=1), "launched_at": now}
    Offer.objects.create(code="ENDING", deadline=now + timedelta(hours=5), **common)
    Offer.objects.create(code="SCARCE", deadline=now + timedelta(days=20), quantity_limit=20, redeemed=18, **common)
    Offer.objects.create(code="PLENTY", deadline=now + timedelta(days=20), quantity_limit=20, redeemed=2, **common)
    assert alert_on_offers() == {"ending": 1, "nearly_sold_out": 1}
    assert alert_on_offers() == {"ending": 0, "nearly_sold_out": 0}
    messages = set(Notification.objects.filter(user=users["marketing"]).values_list("message", flat=True))
    assert any("ENDING ends in" in m for m in messages) and any(
        "SCARCE is nearly sold out: 2 of 20" in m for m in messages
    )
    assert not Notification.objects.filter(user=users["csr"]).exists()


# --- Completing ----------------------------------------------------------------------------------


def after_sale_followup(users):
    lead = closed_won(users)
    return FollowUp.objects.get(lead=lead, kind="closed_won")


def test_completing_records_answers_on_the_timeline_and_a_referral_becomes_a_linked_lead(users, api_as):
    followup = after_sale_followup(users)
    response = api_as(users["sales"]).post(
        f"/api/v1/followups/{followup.pk}/complete/",
        {
            "answers": {"needs_met": "Yes", "more_info": "How to clean the filter"},
            "note": "Happy customer",
            "referrals": [{"first_name": "Rita", "last_name": "Gomez", "phone": "(555) 010-7788"}],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["followup"]["status"] == "done" and body["escalated"] is None
    assert body["followup"]["answers"] == {"needs_met": "yes", "more_info": "How to clean the filter"}
    [referral_id] = body["referrals"]
    referral = Lead.objects.get(pk=referral_id)
    assert (referral.source, referral.referrer_id, referral.stage) == ("referral", followup.lead_id, "inquiry")
    assert referral.owner == users["sales"]  # the salesperson keeps the lead their customer gave them
    assert referral.contact.phone == "+15550107788"
    call = Interaction.objects.get(lead=followup.lead, kind="follow_up")
    assert call.note == "Happy customer" and call.metadata["referrals"] == [referral_id]
    assert Interaction.objects.filter(lead=referral, kind="referral").exists()
    assert Lead.objects.get(pk=followup.lead_id).stage == "customer"  # back to marketing after the sale


def test_a_referral_lead_is_scored_for_the_referral_by_the_shipped_rules(users, api_as):
    """It scored 0: the shipped rules had no rule for the kind `referral`."""
    followup = after_sale_followup(users)
    done = services.complete(
        followup_id=followup.pk, by=users["csr"], referrals=[{"first_name": "Rita", "phone": "555 010 7788"}]
    )
    [referral] = done.referrals
    score = api_as(users["csr"]).get(f"/api/v1/leads/{referral.pk}/score/").json()
    assert score["score"] == 40 and score["temperature"] == "warm"
    assert {"rule": "behaviour.referral", "label": "Referred by a customer", "points": 40} in score["breakdown"]


def test_needs_not_met_raises_a_follow_up_for_a_manager(users):
    followup = after_sale_followup(users)
    done = services.complete(followup_id=followup.pk, by=users["sales"], answers={"needs_met": "no"}, note="Still cold")
    escalated = done.escalated
    assert (escalated.kind, escalated.pool, escalated.assignee) == ("needs_not_met", "Manager", None)
    assert "needs were not met" in escalated.note
    with pytest.raises(Exception, match="for a manager"):
        services.complete(followup_id=escalated.pk, by=users["sales"], note="not mine")
    services.complete(followup_id=escalated.pk, by=users["manager"], note="Called, sent a technician")


def test_a_referral_already_known_is_merged_not_duplicated(users):
    known = LeadFactory(contact=ContactFactory(email="rita@example.com"))
    followup = after_sale_followup(users)
    done = services.complete(
        followup_id=followup.pk, by=users["csr"], referrals=[{"first_name": "Rita", "email": "RITA@example.com"}]
    )
    assert [lead.pk for lead in done.referrals] == [known.pk]
    known.refresh_from_db()
    assert known.referrer_id == followup.lead_id
    assert Lead.objects.filter(contact__email="rita@example.com").count() == 1


@pytest.mark.parametrize("open_lead", [True, False], ids=["with an open lead", "with only closed leads"])
def test_a_salesperson_cannot_reach_someone_elses_contact_by_naming_them_as_a_referral(open_lead, users, api_as):
    """Naming a known contact the salesperson may not see touches nothing and reveals nothing
    (no lead id, no new lead of theirs with the contact's phone and company): "already known"."""
    stranger = ContactFactory(email="rita@example.com", first_name="", phone="+15550109999")
    if open_lead:
        theirs = sales_ready_lead(contact=stranger, owner=users["sales2"])
    else:
        theirs = closed_lead("dead", by=users["sales2"], contact=stranger)
    followup = after_sale_followup(users)
    before = (Lead.objects.count(), Interaction.objects.filter(lead=theirs).count())
    answer = api_as(users["sales"]).post(
        f"/api/v1/followups/{followup.pk}/complete/",
        {"note": "Happy", "referrals": [{"first_name": "Rita", "last_name": "Stone", "email": "rita@example.com"}]},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["referrals"] == [] and answer.json()["already_known"] == 1
    theirs.refresh_from_db()
    stranger.refresh_from_db()
    assert (Lead.objects.count(), Interaction.objects.filter(lead=theirs).count()) == before
    assert theirs.referrer_id is None and stranger.first_name == "" and stranger.last_name != "Stone"
    assert Interaction.objects.get(lead=followup.lead, kind="follow_up").metadata["referrals"] == []


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"referrals": [{"email": "a@example.com"}]}, "referrals[0].first_name"),
        ({"referrals": [{"first_name": "Ann"}]}, "referrals[0].email"),
        ({"referrals": [{"first_name": "Ann", "phone": "12"}]}, "referrals[0].phone"),
        ({"answers": {"shoe_size": "9"}}, "answers.shoe_size"),
        ({"answers": {"needs_met": "maybe"}}, "answers.needs_met"),
    ],
)
def test_bad_answers_or_referrals_are_refused_and_nothing_is_written(payload, field, users, api_as):
    followup = after_sale_followup(users)
    leads_before = Lead.objects.count()
    response = api_as(users["sales"]).post(f"/api/v1/followups/{followup.pk}/complete/", payload, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    followup.refresh_from_db()
    assert followup.status == "scheduled" and Lead.objects.count() == leads_before
    assert not Interaction.objects.filter(kind="follow_up").exists()


def test_completing_twice_is_a_conflict(users, api_as):
    followup = after_sale_followup(users)
    client = api_as(users["sales"])
    assert (
        client.post(f"/api/v1/followups/{followup.pk}/complete/", {}, format="json").status_code == 400
    )  # says nothing
    assert client.post(f"/api/v1/followups/{followup.pk}/complete/", {"note": "Fine"}, format="json").status_code == 200
    again = client.post(f"/api/v1/followups/{followup.pk}/complete/", {"note": "again"}, format="json")
    assert again.status_code == 409
    assert Interaction.objects.filter(kind="follow_up").count() == 1


def test_the_customer_cannot_refer_themselves(users):
    followup = after_sale_followup(users)
    contact = followup.lead.contact
    with pytest.raises(Exception, match="themselves"):
        services.complete(
            followup_id=followup.pk, by=users["sales"], referrals=[{"first_name": "Me", "email": contact.email}]
        )
    followup.refresh_from_db()
    assert followup.status == "scheduled"
