"""What a rescore does to stages: a sales-ready lead that no longer meets the rules of engagement
leaves the pool (back to inquiry) unless someone owns it, and claims re-check readiness."""

import copy
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.errors import Conflict
from jobs import services as job_services
from leads import rescore, scores
from leads.engagement import update_rules_of_engagement
from leads.models import Lead, StageChange
from leads.services import log_interaction
from sales import services as sales
from sales.selectors import pool
from scoring import services
from scoring.selectors import preview_draft
from tests.factories import LeadFactory, signed_in_client

pytestmark = pytest.mark.django_db

FACTS = {"inquiry_reason": "Furnace died", "desired_outcome": "Heat by Friday"}


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr(job_services, "enqueue_job", lambda job_id: None)


def ready_lead(answer="this_quarter", owner=None, **fields):
    """A sales-ready lead scored for real: an inbound call (50) and a timeline answer (+10 for
    this quarter: 60, +20 for this month: 70)."""
    lead = LeadFactory(**(FACTS | fields))
    log_interaction(lead_id=lead.pk, kind="call_inbound", answers=[{"question": "timeline", "answer": answer}])
    if owner is not None:
        sales.claim_lead(lead_id=lead.pk, by=owner)
    lead.refresh_from_db()
    assert lead.stage == "sales_ready"
    return lead


def draft_with_threshold(sales_ready: int):
    definition = copy.deepcopy(services.current_draft().definition)
    definition["thresholds"]["sales_ready"] = sales_ready
    return services.save_draft(definition=definition)


def publish_threshold(sales_ready: int):
    draft_with_threshold(sales_ready)
    return job_services.run_job(services.publish_draft().pk)[0]


def test_a_publish_sends_unowned_leads_below_the_new_threshold_back_to_inquiry(users):
    falling, staying = ready_lead("this_quarter"), ready_lead("this_month")  # 60 and 70
    owned = ready_lead("this_quarter", owner=users["sales"])
    job = publish_threshold(65)
    assert job.status == "done"
    stages = dict(Lead.objects.values_list("pk", "stage"))
    assert (stages[falling.pk], stages[staying.pk], stages[owned.pk]) == ("inquiry", "sales_ready", "sales_ready")
    change = StageChange.objects.filter(lead=falling).last()
    assert (change.from_stage, change.to_stage) == ("sales_ready", "inquiry")
    assert change.reason.startswith("Rules changed: score 60 is below sales-ready 65")
    assert "Rules version 2 published" in change.reason
    assert Lead.objects.get(pk=owned.pk).owner == users["sales"]
    assert list(pool()) == [Lead.objects.get(pk=staying.pk)]


def test_the_daily_decay_takes_a_quiet_lead_out_of_the_pool():
    lead = ready_lead("this_quarter")  # 60
    quiet_since = timezone.now() - timedelta(days=22)  # one full week past the 14 quiet days: -5
    Lead.objects.filter(pk=lead.pk).update(last_activity_at=quiet_since, score_computed_at=quiet_since)
    lead.interactions.update(occurred_at=quiet_since)
    assert rescore.apply_decay() == 1
    lead.refresh_from_db()
    assert (lead.score, lead.stage) == (55, "inquiry")
    assert "recency decay" in lead.stage_changes.last().reason


def test_demotion_costs_the_same_queries_for_two_leads_as_for_eight():
    """One UPDATE and one INSERT per chunk, however many leads fall (no per-lead queries)."""

    def queries_to_rescore(count):
        leads = [ready_lead() for _ in range(count)]
        book = services.book_for(draft_with_threshold(65))
        with CaptureQueriesContext(connection) as queries:
            scores.rescore_many([lead.pk for lead in leads], book=book, reason="check")
        assert Lead.objects.filter(pk__in=[lead.pk for lead in leads], stage="inquiry").count() == count
        return len(queries)

    assert queries_to_rescore(2) == queries_to_rescore(8)


def almost_ready_lead(answer="this_quarter", **fields):
    """An inquiry with its facts recorded and a score of 50 (an inbound call), below the
    shipped sales-ready 60: what a publish lowering the threshold should promote."""
    lead = LeadFactory(**(FACTS | fields))
    log_interaction(lead_id=lead.pk, kind="call_inbound")
    lead.refresh_from_db()
    assert (lead.stage, lead.score) == ("inquiry", 50)
    return lead


def test_a_publish_that_lowers_the_threshold_promotes_the_inquiries_that_now_qualify(users):
    """The same number means the same thing: an inquiry that meets the new rules is sales-ready
    at once, as a new lead with the same score and facts would be, not at its next call."""
    qualifies = almost_ready_lead()
    lacks_a_fact = almost_ready_lead(desired_outcome="")
    job = publish_threshold(50)
    assert job.status == "done"
    qualifies.refresh_from_db()
    lacks_a_fact.refresh_from_db()
    assert (qualifies.stage, lacks_a_fact.stage) == ("sales_ready", "inquiry")
    assert qualifies.sales_ready_at is not None
    change = StageChange.objects.filter(lead=qualifies).last()
    assert (change.from_stage, change.to_stage) == ("inquiry", "sales_ready")
    assert change.reason.startswith("Rules changed: score 50 meets the rules of engagement")
    assert "Rules version 2 published" in change.reason
    assert list(pool()) == [qualifies]
    assert sales.claim_next(by=users["sales"]).pk == qualifies.pk


def test_the_preview_counts_the_inquiries_a_publish_would_promote(users):
    almost_ready_lead(), almost_ready_lead(desired_outcome="")
    definition = copy.deepcopy(services.current_draft().definition)
    definition["thresholds"]["sales_ready"] = 50
    assert preview_draft(definition=definition)["stages"]["to_sales_ready"] == 1


def test_promotion_costs_the_same_queries_for_two_leads_as_for_eight():
    def queries_to_rescore(count):
        leads = [almost_ready_lead() for _ in range(count)]
        book = services.book_for(draft_with_threshold(50))
        with CaptureQueriesContext(connection) as queries:
            scores.rescore_many([lead.pk for lead in leads], book=book, reason="check")
        assert Lead.objects.filter(pk__in=[lead.pk for lead in leads], stage="sales_ready").count() == count
        return len(queries)

    assert queries_to_rescore(2) == queries_to_rescore(8)


def test_a_rescore_that_demotes_nobody_adds_no_query():
    lead = ready_lead("this_month")  # 70: stays ready at 65
    book = services.book_for(draft_with_threshold(65))
    with CaptureQueriesContext(connection) as queries:
        scores.rescore_many([lead.pk], book=book, reason="check")
    assert not [q for q in queries.captured_queries if "leads_stagechange" in q["sql"]]
    assert Lead.objects.get(pk=lead.pk).stage == "sales_ready"


def test_claim_next_passes_over_a_pool_lead_the_new_rules_no_longer_qualify(users):
    """Published but not rescored yet: the stored 64 is below the new 65 already, so that lead
    is not handed out, even when it is all the pool has left."""
    stale, good = ready_lead("this_quarter"), ready_lead("this_quarter")
    for lead, opened in ((stale, 2), (good, 3)):
        for _ in range(opened):
            log_interaction(lead_id=lead.pk, kind="email_open")  # 2 points each: 64 and 66
    draft_with_threshold(65)
    services.publish_draft()  # the rescore job has not run yet
    assert sales.claim_next(by=users["sales"]).pk == good.pk
    assert sales.claim_next(by=users["sales"]) is None  # the stale one is never handed out
    assert Lead.objects.get(pk=stale.pk).owner is None


def test_claiming_a_lead_that_no_longer_qualifies_is_409_with_the_score_missing(users):
    lead = ready_lead("this_quarter")
    draft_with_threshold(65)
    services.publish_draft()
    with pytest.raises(Conflict) as refused:
        sales.claim_lead(lead_id=lead.pk, by=users["sales"])
    assert refused.value.missing == ["score"] and Lead.objects.get(pk=lead.pk).owner is None


def test_claim_next_respects_a_required_fact_added_after_the_lead_became_ready(users):
    lead = ready_lead("this_month")
    update_rules_of_engagement(
        required_facts=["inquiry_reason", "estimated_value"], hot_response_minutes=60, reassign_after_minutes=None
    )
    assert sales.claim_next(by=users["sales"]) is None
    Lead.objects.filter(pk=lead.pk).update(estimated_value=5000)
    assert sales.claim_next(by=users["sales"]).pk == lead.pk


def test_the_preview_says_which_sales_ready_leads_would_leave_the_pool(users):
    ready_lead("this_quarter")
    ready_lead("this_quarter", owner=users["sales"])
    ready_lead("this_month")
    draft_with_threshold(65)
    result = preview_draft()
    assert result["stages"] == {"to_sales_ready": 0, "back_to_inquiry": 1, "owned_no_longer_ready": 1}
    assert result["sales_ready"] == {"before": 3, "after": 1}


def test_the_owner_sees_that_their_lead_no_longer_qualifies(users):
    mine = ready_lead("this_quarter", owner=users["sales"])
    still = ready_lead("this_month", owner=users["sales"])
    publish_threshold(65)
    client = signed_in_client(users["sales"])
    page = client.get(f"/leads/{mine.pk}/").content.decode()
    assert "No longer qualifies:" in page and "the score 60 is below the sales-ready 65" in page
    assert "stays with its owner" in page
    assert "No longer qualifies" not in client.get(f"/leads/{still.pk}/").content.decode()
    queue = client.get("/queue/").content.decode()
    assert queue.count('data-testid="no-longer-ready"') == 1
