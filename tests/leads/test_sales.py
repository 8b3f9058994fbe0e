"""The salesperson's day: rules of engagement, handover, the queue, claims, closing, alerts, feedback."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from leads.models import Handover, Lead, RulesOfEngagement
from leads.services import log_interaction, update_lead
from notifications.models import Notification
from sales import services as sales
from tests.factories import LeadFactory, lead_after, sales_ready_lead, signed_in_client

pytestmark = pytest.mark.django_db

FACTS = {"inquiry_reason": "Furnace died", "desired_outcome": "Heat by Friday"}


def ready_lead(*answers, **fields):
    """A lead in the pool: sales-ready, unowned; 60 and warm unless `answers` add to it."""
    return sales_ready_lead(*answers, **fields)


HOT = {"timeline": "this_month"}  # buys within a month: +20, so a sales-ready lead is 80 and hot


# --- Rules of engagement ----------------------------------------------------------------------


def test_an_inquiry_becomes_sales_ready_when_score_and_facts_qualify():
    lead = LeadFactory(**FACTS)
    log_interaction(lead_id=lead.pk, kind="call_inbound")  # 50: below the 60 threshold
    assert Lead.objects.get(pk=lead.pk).stage == "inquiry"
    log_interaction(lead_id=lead.pk, kind="answers", answers=[{"question": "timeline", "answer": "this_quarter"}])
    lead.refresh_from_db()
    assert (lead.score, lead.stage) == (60, "sales_ready") and lead.sales_ready_at is not None
    assert lead.stage_changes.last().reason == "Meets the rules of engagement"


def test_a_high_score_without_the_facts_stays_an_inquiry_until_they_are_recorded(users):
    lead = LeadFactory()
    log_interaction(lead_id=lead.pk, kind="call_inbound", answers=[{"question": "timeline", "answer": "this_month"}])
    assert Lead.objects.get(pk=lead.pk).stage == "inquiry"
    update_lead(lead, by=users["csr"], **FACTS)
    assert Lead.objects.get(pk=lead.pk).stage == "sales_ready"


def test_managers_change_the_required_facts(users, api_as):
    client = api_as(users["manager"])
    body = {"required_facts": ["inquiry_reason"], "hot_response_minutes": 30, "reassign_after_minutes": 120}
    response = client.put("/api/v1/engagement/", body, format="json")
    assert response.status_code == 200 and response.json()["sales_ready_score"] == 60
    assert RulesOfEngagement.objects.get().required_facts == ["inquiry_reason"]
    bad = client.put(
        "/api/v1/engagement/", {**body, "required_facts": ["shoe_size"], "reassign_after_minutes": 10}, format="json"
    )
    assert bad.status_code == 400 and {"required_facts", "reassign_after_minutes"} <= set(bad.json())
    assert api_as(users["sales"]).put("/api/v1/engagement/", body, format="json").status_code == 403


# --- Handover ---------------------------------------------------------------------------------


def test_marketing_hands_a_ready_lead_to_a_salesperson_who_is_notified_and_accepts(users, api_as):
    lead = ready_lead()
    response = api_as(users["marketing"]).post(
        f"/api/v1/leads/{lead.pk}/handover/", {"owner": users["sales"].pk}, format="json"
    )
    assert response.status_code == 200 and response.json()["owner"] == users["sales"].pk
    handover = Handover.objects.get(lead=lead)
    assert (handover.kind, handover.from_user, handover.to_user, handover.accepted_at) == (
        "handover",
        users["marketing"],
        users["sales"],
        None,
    )
    assert Notification.objects.get(user=users["sales"]).lead == lead
    accepted = api_as(users["sales"]).post(f"/api/v1/leads/{lead.pk}/accept/")
    assert accepted.status_code == 200 and accepted.json()["owner_accepted_at"]
    assert Handover.objects.get(lead=lead).accepted_at is not None


def test_handover_of_a_lead_that_is_not_ready_is_409_with_what_is_missing(users, api_as):
    lead = lead_after("form")  # 30
    response = api_as(users["manager"]).post(
        f"/api/v1/leads/{lead.pk}/handover/", {"owner": users["sales"].pk}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["missing"] == ["score", "inquiry_reason", "desired_outcome"]
    assert "a score of at least 60 (now 30)" in response.json()["detail"]
    lead.refresh_from_db()
    assert lead.owner is None and not Handover.objects.exists()


@pytest.mark.parametrize("owner", ["csr", "nobody", 999999, "abc"])
def test_handover_to_someone_who_is_not_a_salesperson_is_400(users, api_as, owner):
    lead = ready_lead()
    owner_id = users[owner].pk if owner in users else owner
    response = api_as(users["manager"]).post(f"/api/v1/leads/{lead.pk}/handover/", {"owner": owner_id}, format="json")
    assert response.status_code == 400 and "owner" in response.json()
    assert Lead.objects.get(pk=lead.pk).owner is None


def test_csrs_and_sales_cannot_hand_over(users, api_as):
    lead = ready_lead()
    for role in ("csr", "sales"):
        response = api_as(users[role]).post(
            f"/api/v1/leads/{lead.pk}/handover/", {"owner": users["sales"].pk}, format="json"
        )
        assert response.status_code == 403


def test_handover_notification_is_e_mailed_once(users, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    users["sales"].email = "sales1@example.com"
    users["sales"].save()
    lead = ready_lead()
    sales.handover_lead(lead_id=lead.pk, owner_id=users["sales"].pk, by=users["manager"])
    from outbox.services import send_pending

    assert send_pending() == 1 and send_pending() == 0
    assert mail.outbox[0].to == ["sales1@example.com"] and "handed you" in mail.outbox[0].subject


# --- The queue and claims ---------------------------------------------------------------------


def test_queue_lists_own_open_leads_then_the_pool_by_priority(users, api_as):
    mine = sales_ready_lead(owner=users["sales"])
    sales_ready_lead(HOT, owner=users["sales2"])  # a colleague's
    warm = ready_lead()
    hot = ready_lead(HOT)
    older_warm = ready_lead()
    Lead.objects.filter(pk=older_warm.pk).update(sales_ready_at=timezone.now() - timedelta(hours=3))
    body = api_as(users["sales"]).get("/api/v1/queue/").json()
    assert [(row["id"], row["queue"]) for row in body["results"]] == [
        (mine.pk, "own"),
        (hot.pk, "pool"),
        (older_warm.pk, "pool"),
        (warm.pk, "pool"),
    ]
    assert body["next"] is None


def test_queue_pages_the_pool_by_keyset(users, api_as):
    more = (({"timeline": "this_month", "system_age": "over_15"},), (HOT,), ({"system_age": "over_15"},), (), ())
    expected = [ready_lead(*answers).pk for answers in more]  # 90, 80, 70, 60, 60
    client = api_as(users["sales"])
    seen, url = [], "/api/v1/queue/?limit=2"
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == expected
    assert client.get("/api/v1/queue/?after=garbage").status_code == 400
    assert client.get("/api/v1/queue/?limit=0").status_code == 400


def test_claim_next_takes_the_top_of_the_pool(users, api_as):
    ready_lead()
    top = ready_lead(HOT)
    response = api_as(users["sales"]).post("/api/v1/queue/claim/")
    assert response.status_code == 200 and response.json()["id"] == top.pk
    top.refresh_from_db()
    assert top.owner == users["sales"] and top.owner_accepted_at is not None
    assert Handover.objects.get(lead=top).kind == "claim"


def test_claim_next_on_an_empty_pool_is_204(users, api_as):
    assert api_as(users["sales"]).post("/api/v1/queue/claim/").status_code == 204


def test_claiming_a_taken_or_unready_lead_is_409(users, api_as):
    taken = sales_ready_lead(owner=users["sales2"])
    not_ready = lead_after({"timeline": "this_quarter"})  # 10
    manager = api_as(users["manager"])
    assert manager.post(f"/api/v1/leads/{taken.pk}/claim/").status_code == 409
    response = manager.post(f"/api/v1/leads/{not_ready.pk}/claim/")
    assert response.status_code == 409 and "score" in response.json()["missing"]
    # Sales cannot even see an inquiry or a colleague's lead.
    assert api_as(users["sales"]).post(f"/api/v1/leads/{taken.pk}/claim/").status_code == 404


# --- Closing ----------------------------------------------------------------------------------


def test_closing_won_pins_the_score_records_amount_upsell_and_cycle(users, api_as):
    lead = sales_ready_lead(owner=users["sales"])
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(days=12))
    response = api_as(users["sales"]).post(
        f"/api/v1/leads/{lead.pk}/close/",
        {"outcome": "won", "amount": "4800.00", "upsell_accepted": True},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["stage"], body["score"], body["temperature"]) == ("won", 100, "hot")
    assert (body["won_amount"], body["upsell_accepted"], body["sales_cycle_days"]) == ("4800.00", True, 12)
    assert Lead.objects.get(pk=lead.pk).won_amount == Decimal("4800.00")


def test_a_won_sale_records_the_upsells_value_and_the_lead_page_says_it(users, api_as):
    lead = sales_ready_lead(owner=users["sales"])
    response = api_as(users["sales"]).post(
        f"/api/v1/leads/{lead.pk}/close/",
        {"outcome": "won", "amount": "4800.00", "upsell_amount": "480"},  # the value says it was accepted
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["won_amount"], body["upsell_accepted"], body["upsell_amount"]) == ("4800.00", True, "480.00")
    page = signed_in_client(users["sales"]).get(f"/leads/{lead.pk}/").content.decode()
    assert "Won: $4,800.00, of which $480.00 from the upsell." in page


def test_an_upsell_worth_nothing_is_not_an_upsell_taken(users, api_as):
    lead = sales_ready_lead(owner=users["sales"])
    response = api_as(users["sales"]).post(
        f"/api/v1/leads/{lead.pk}/close/", {"outcome": "won", "amount": "900", "upsell_amount": "0"}, format="json"
    )
    assert (response.json()["upsell_accepted"], response.json()["upsell_amount"]) == (False, None)


def test_the_close_form_takes_the_upsells_value_as_people_type_it(users):
    lead = sales_ready_lead(owner=users["sales"])
    client = signed_in_client(users["sales"])
    response = client.post(
        f"/leads/{lead.pk}/close/",
        {"outcome": "won", "amount": "2500", "upsell_accepted": "on", "upsell_amount": "$1,200.00"},
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.stage, lead.won_amount, lead.upsell_accepted, lead.upsell_amount) == (
        "won",
        Decimal("2500.00"),
        True,
        Decimal("1200.00"),
    )


def test_the_close_form_takes_the_amount_as_people_type_it_and_a_won_lead_offers_no_accept(users, api_as):
    manager = users["manager"]
    lead = sales_ready_lead()
    sales.handover_lead(lead_id=lead.pk, owner_id=users["sales"].pk, by=manager)  # handed, not yet accepted
    client = signed_in_client(users["sales"])
    assert "Accept this lead" in client.get(f"/leads/{lead.pk}/").content.decode()
    client.post(f"/leads/{lead.pk}/close/", {"outcome": "won", "amount": "$4,800"})
    lead.refresh_from_db()
    assert (lead.stage, lead.won_amount) == ("won", Decimal("4800.00"))
    assert "Accept this lead" not in client.get(f"/leads/{lead.pk}/").content.decode()  # closed: nothing to accept


def test_an_upsell_larger_than_the_sale_is_refused_on_the_page_and_nothing_closes(users):
    lead = sales_ready_lead(owner=users["sales"])
    client = signed_in_client(users["sales"])
    response = client.post(
        f"/leads/{lead.pk}/close/", {"outcome": "won", "amount": "100", "upsell_amount": "900"}, follow=True
    )
    assert "The upsell is part of the sale: at most its amount ($100.00)." in response.content.decode()
    lead.refresh_from_db()
    assert (lead.stage, lead.won_amount, lead.upsell_amount) == ("sales_ready", None, None)


def test_closing_dead_pins_zero_and_unclosed_keeps_the_score(users):
    dead = sales_ready_lead(owner=users["sales"])
    sales.close_lead(lead_id=dead.pk, outcome="dead", reason="Moved away", by=users["sales"])
    assert Lead.objects.get(pk=dead.pk).score == 0
    lead = sales_ready_lead(owner=users["sales"])  # a call (50) from the one who decides (10)
    sales.close_lead(lead_id=lead.pk, outcome="unclosed", reason="Not this year", by=users["sales"])
    lead.refresh_from_db()
    assert (lead.stage, lead.score, lead.lost_reason) == ("unclosed", 60, "Not this year")


@pytest.mark.parametrize(
    "body,field",
    [
        ({"outcome": "won"}, "amount"),
        ({"outcome": "won", "amount": "-5"}, "amount"),
        ({"outcome": "won", "amount": "lots"}, "amount"),
        ({"outcome": "dead"}, "reason"),
        ({"outcome": "unclosed", "reason": "  "}, "reason"),
        ({"outcome": "sold"}, "outcome"),
        ({"outcome": "won", "amount": "100", "upsell_amount": "150"}, "upsell_amount"),  # more than the sale
        ({"outcome": "won", "amount": "100", "upsell_amount": "-1"}, "upsell_amount"),
        ({"outcome": "won", "amount": "100", "upsell_amount": "a lot"}, "upsell_amount"),
        ({"outcome": "dead", "reason": "Moved away", "upsell_amount": "10"}, "upsell_amount"),
    ],
)
def test_bad_closes_are_400_and_change_nothing(users, api_as, body, field):
    lead = sales_ready_lead(owner=users["sales"])
    response = api_as(users["sales"]).post(f"/api/v1/leads/{lead.pk}/close/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert Lead.objects.get(pk=lead.pk).stage == "sales_ready"


def test_closing_a_closed_lead_or_someone_elses_is_409(users, api_as):
    lead = sales_ready_lead(owner=users["sales"])
    client = api_as(users["sales"])
    assert (
        client.post(f"/api/v1/leads/{lead.pk}/close/", {"outcome": "won", "amount": "10"}, format="json").status_code
        == 200
    )
    again = client.post(f"/api/v1/leads/{lead.pk}/close/", {"outcome": "dead", "reason": "x"}, format="json")
    assert again.status_code == 409 and Lead.objects.get(pk=lead.pk).stage == "won"
    pooled = ready_lead()
    assert (
        client.post(f"/api/v1/leads/{pooled.pk}/close/", {"outcome": "won", "amount": "1"}, format="json").status_code
        == 409
    )
    assert (
        api_as(users["csr"])
        .post(f"/api/v1/leads/{pooled.pk}/close/", {"outcome": "won", "amount": "1"}, format="json")
        .status_code
        == 403
    )


# --- Hot leads nobody called ------------------------------------------------------------------


def hot_lead(minutes_hot, owner=None, contacted_minutes_ago=None):
    now = timezone.now()
    lead = sales_ready_lead(HOT, owner=owner)  # 80, hot; claimed by `owner`
    Lead.objects.filter(pk=lead.pk).update(  # as if it all happened `minutes_hot` ago
        hot_since=now - timedelta(minutes=minutes_hot),
        handed_over_at=now - timedelta(minutes=minutes_hot) if owner else None,
        last_contacted_at=now - timedelta(minutes=contacted_minutes_ago) if contacted_minutes_ago is not None else None,
    )
    return lead


def test_a_hot_lead_nobody_called_alerts_its_owner_and_the_managers_once(users):
    waiting = hot_lead(90, owner=users["sales"])
    hot_lead(90, owner=users["sales2"], contacted_minutes_ago=10)  # called since it went hot
    hot_lead(20, owner=users["sales2"])  # still within the hour
    assert sales.alert_on_waiting_hot_leads() == {"alerted": 1, "reassigned": 0}
    assert set(Notification.objects.values_list("user__username", flat=True)) == {"sales1", "manager1"}
    assert Notification.objects.filter(lead=waiting).count() == 2
    assert sales.alert_on_waiting_hot_leads() == {"alerted": 0, "reassigned": 0}


def test_after_the_second_limit_an_untouched_hot_lead_goes_back_to_the_pool(users):
    lead = hot_lead(300, owner=users["sales"])
    assert sales.alert_on_waiting_hot_leads()["reassigned"] == 1
    lead.refresh_from_db()
    assert lead.owner is None and lead.stage == "sales_ready"
    assert Handover.objects.filter(lead=lead).latest("id").kind == "reassign"
    assert sales.alert_on_waiting_hot_leads()["reassigned"] == 0


def test_the_manager_sees_every_hot_lead_waiting_too_long(users, api_as):
    waiting = hot_lead(90)
    hot_lead(5)
    body = api_as(users["manager"]).get("/api/v1/alerts/hot-waiting/").json()
    assert [row["id"] for row in body["results"]] == [waiting.pk] and body["results"][0]["waiting_minutes"] >= 90
    assert api_as(users["sales"]).get("/api/v1/alerts/hot-waiting/").status_code == 403


def test_a_call_stops_the_clock(users):
    lead = hot_lead(90, owner=users["sales"])
    log_interaction(lead_id=lead.pk, kind="call_outbound", author=users["sales"])
    assert not sales.waiting_hot_leads().filter(pk=lead.pk).exists()


# --- Feedback ---------------------------------------------------------------------------------


def test_sales_rates_leads_and_marketing_reads_it_per_campaign_and_source(users, api_as):
    from campaigns.models import Campaign

    spring = Campaign.objects.create(name="Spring")
    for rating, source in ((5, "web_form"), (3, "web_form"), (1, "list")):
        lead = sales_ready_lead(owner=users["sales"], campaign=spring, source=source)
        response = api_as(users["sales"]).post(
            f"/api/v1/leads/{lead.pk}/feedback/", {"rating": rating, "reason": "why"}, format="json"
        )
        assert response.status_code == 201
    body = api_as(users["marketing"]).get("/api/v1/feedback/summary/").json()
    assert body["results"] == [
        {"campaign": spring.pk, "campaign_name": "Spring", "source": "list", "ratings": 1, "average_rating": 1.0},
        {"campaign": spring.pk, "campaign_name": "Spring", "source": "web_form", "ratings": 2, "average_rating": 4.0},
    ]


@pytest.mark.parametrize("body", [{"rating": 0, "reason": "x"}, {"rating": 6, "reason": "x"}, {"rating": 3}])
def test_bad_feedback_is_400(users, api_as, body):
    lead = sales_ready_lead(owner=users["sales"])
    assert api_as(users["sales"]).post(f"/api/v1/leads/{lead.pk}/feedback/", body, format="json").status_code == 400


def test_an_unclosed_lead_can_still_be_won_later_but_not_unclosed_twice(users):
    lead = sales_ready_lead(owner=users["sales"])
    sales.close_lead(lead_id=lead.pk, outcome="unclosed", reason="Budget next spring", by=users["sales"])
    with pytest.raises(Exception, match="already closed"):
        sales.close_lead(lead_id=lead.pk, outcome="unclosed", reason="again", by=users["sales"])
    sales.close_lead(lead_id=lead.pk, outcome="won", amount="900", by=users["sales"])
    assert Lead.objects.get(pk=lead.pk).stage == "won"


def test_handing_a_lead_to_its_owner_again_changes_nothing(users):
    lead = ready_lead()
    sales.handover_lead(lead_id=lead.pk, owner_id=users["sales"].pk, by=users["manager"])
    sales.accept_lead(lead_id=lead.pk, by=users["sales"])
    sales.handover_lead(lead_id=lead.pk, owner_id=users["sales"].pk, by=users["manager"])  # the form, twice
    lead.refresh_from_db()
    assert lead.owner_accepted_at is not None and Handover.objects.filter(lead=lead).count() == 1
    assert Notification.objects.filter(user=users["sales"], lead=lead).count() == 1


def test_an_interaction_that_drops_a_pool_lead_below_the_rules_sends_it_back_to_inquiry(users):
    pooled = ready_lead()  # 60
    just_looking = [{"question": "timeline", "answer": "just_looking"}]
    log_interaction(lead_id=pooled.pk, kind="answers", answers=just_looking)  # 50 < 60
    pooled.refresh_from_db()
    assert pooled.stage == "inquiry" and pooled.stage_changes.last().reason == "Score 50 is below sales-ready 60"
    owned = ready_lead(owner=users["sales"])
    log_interaction(lead_id=owned.pk, kind="answers", answers=just_looking, author=users["sales"])
    assert Lead.objects.get(pk=owned.pk).stage == "sales_ready"  # stays with its owner
