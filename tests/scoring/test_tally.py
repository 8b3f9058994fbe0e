"""The score tally (leads.scores, Lead.score_tally): logging an interaction adds it to the counts
kept on the lead instead of rereading the lead's history, and the score it gives is always the
one a full recount of every interaction gives."""

import copy
import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.models import Company
from data_rights.services import erase_contact
from jobs import services as job_services
from leads.merging import merge_contacts
from leads.models import Interaction, Lead
from leads.scores import facts_from_tally, lead_facts, rescore_lead, tallies_of
from leads.services import edit_company_profile, log_interaction
from sales.services import close_lead
from scoring import services
from scoring.defaults import DEFAULT_DEFINITION
from scoring.engine import InteractionFact, LeadFacts, rule_counts, score
from tests.factories import ContactFactory, LeadFactory, client_for
from tracking import engaged

pytestmark = pytest.mark.django_db

LOGGABLE = [
    "call_inbound",
    "call_outbound",
    "meeting",
    "email_open",
    "email_click",
    "email_forward",
    "qr_scan",
    "web_visit",
    "form",
    "letter_sent",
    "note",
    "answers",
    "follow_up",
    "referral",
]
OPTIONS = {question["key"]: [o["key"] for o in question["options"]] for question in DEFAULT_DEFINITION["questions"]}


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """Publishing sends the rescore job to Celery on commit; here the test runs it itself."""
    monkeypatch.setattr(job_services, "enqueue_job", lambda job_id: None)


def publish(definition) -> None:
    """Publish new rules and run their rescore job (leads.scores.rescore_many) here and now."""
    services.save_draft(definition=definition)
    job = services.publish_draft()
    job_services.run_job(job.pk, None)


def other_rules(step: int) -> dict:
    """Rules that count differently from the shipped ones: a new rule on a metadata value, other
    points and caps, an answer worth more, a rule gone."""
    definition = copy.deepcopy(DEFAULT_DEFINITION)
    definition["rules"] = [rule for rule in definition["rules"] if rule["key"] != ("meeting" if step % 2 else "form")]
    definition["rules"].append(
        {
            "key": "long_visit",
            "label": "Read three pages",
            "kind": "web_visit",
            "points": 4,
            "cap": 12,
            "when": {"pages": 3},
        }
    )
    for rule in definition["rules"]:
        if rule["key"] == "email_open":
            rule["points"], rule["cap"] = 3 + step, 9 + step
    definition["questions"][0]["options"][0]["points"] = 25 + step
    return definition


def loaded(lead_id: int) -> Lead:
    return Lead.objects.select_related("contact__company").get(pk=lead_id)


def assert_as_a_full_recount(lead_id: int, logged=None) -> None:
    """The lead's saved score, temperature, breakdown and tally are those of reading every one of
    its interactions again under the published rules."""
    lead = loaded(lead_id)
    book = services.published_rule_book()
    now = timezone.now()
    full = score(lead_facts(lead, now), book)
    assert lead.rules_version == book.version
    assert (lead.score_tally, lead.closing_tally) == tallies_of(lead, book)
    assert (lead.score, lead.temperature) == (full.total, full.temperature)
    assert score(facts_from_tally(lead, lead.score_tally, now), book).breakdown == full.breakdown
    if logged is not None:
        assert (logged.score.total, logged.score.breakdown) == (full.total, full.breakdown)


def random_log(rng: random.Random, lead_id: int, times: list):
    """One interaction of a random kind: metadata that a `when` matches or not, answers (some to a
    question answered before), now or back-dated, sometimes at the very time of an earlier one."""
    kind = rng.choice(LOGGABLE)
    metadata = {}
    if rng.random() < 0.6:
        metadata["return_visit"] = rng.choice([True, False])
    if rng.random() < 0.4:
        metadata["pages"] = rng.choice([1, 3, 3.0, "3"])
    answers = None
    if kind == "answers" or rng.random() < 0.15:
        questions = rng.sample(sorted(OPTIONS), rng.randint(1, 2))
        answers = [{"question": q, "answer": rng.choice(OPTIONS[q])} for q in questions]
    roll = rng.random()
    if roll < 0.4:
        at = None
    elif roll < 0.55 and times:
        at = rng.choice(times)  # a tie in time: the id decides which answer is the latest
    else:
        at = timezone.now() - timedelta(hours=rng.randint(1, 24 * 40))
    tallied = loaded(lead_id).score_tally is not None
    with CaptureQueriesContext(connection) as queries:
        logged = log_interaction(lead_id=lead_id, kind=kind, metadata=metadata, answers=answers, occurred_at=at)
    assert not (tallied and reads_of_interactions(queries))  # counted from the tally, not the history
    times.append(logged.interaction.occurred_at)
    return logged


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_saved_score_is_always_that_of_a_full_recount(seed, users):
    rng = random.Random(seed)
    company = Company.objects.create(name="Harbor Logistics", size_band="10-49")
    first = LeadFactory(contact=ContactFactory(company=company))
    second = LeadFactory(contact=ContactFactory(title="Owner"))
    third = LeadFactory()
    leads, times = [first.pk, second.pk, third.pk], []
    for lead_id in leads:
        random_log(rng, lead_id, times)
    for step in range(90):
        if step in (30, 70):
            publish(other_rules(step))
        elif step == 50:
            merge_contacts(keep_id=first.contact_id, merge_id=second.contact_id, by=users["manager"])
        elif step == 60:
            edit_company_profile(company_id=company.pk, size_band="50-249")  # a bulk rescore of its leads
        elif step == 20:  # closed: its closing tally counted, then added to by what is logged late
            close_lead(lead_id=third.pk, outcome="won", by=users["manager"], amount="500")
        else:
            lead_id = rng.choice(leads)
            logged = random_log(rng, lead_id, times)
            assert_as_a_full_recount(lead_id, logged)
        for lead_id in leads:
            assert_as_a_full_recount(lead_id)


def test_a_back_dated_answer_does_not_override_a_later_one():
    lead = LeadFactory()
    now = timezone.now()
    log_interaction(lead_id=lead.pk, kind="answers", answers=[{"question": "timeline", "answer": "this_month"}])
    log_interaction(
        lead_id=lead.pk,
        kind="answers",
        answers=[{"question": "timeline", "answer": "just_looking"}],
        occurred_at=now - timedelta(days=3),
    )
    lead.refresh_from_db()
    assert lead.score_tally["answers"]["timeline"][0] == "this_month"
    assert_as_a_full_recount(lead.pk)
    at = timezone.now()
    log_interaction(
        lead_id=lead.pk, kind="answers", answers=[{"question": "timeline", "answer": "this_year"}], occurred_at=at
    )
    log_interaction(
        lead_id=lead.pk, kind="note", answers=[{"question": "timeline", "answer": "this_quarter"}], occurred_at=at
    )
    lead.refresh_from_db()
    assert lead.score_tally["answers"]["timeline"][0] == "this_quarter"  # same time: the later one logged
    assert_as_a_full_recount(lead.pk)


def history(lead: Lead, count: int) -> None:
    """`count` interactions written straight to the lead, of the kinds the rules count."""
    start = timezone.now() - timedelta(days=10)
    kinds = ["email_open", "web_visit", "call_outbound", "answers"]
    Interaction.objects.bulk_create(
        Interaction(
            lead=lead,
            kind=kinds[i % 4],
            occurred_at=start + timedelta(minutes=i),
            metadata={"return_visit": i % 3 == 0},
            answers=[{"question": "budget", "answer": "planning"}] if kinds[i % 4] == "answers" else [],
        )
        for i in range(count)
    )


def reads_of_interactions(queries) -> list[str]:
    return [q["sql"] for q in queries if "leads_interaction" in q["sql"] and not q["sql"].startswith("INSERT")]


def test_logging_on_a_lead_with_a_long_history_costs_what_it_costs_on_a_fresh_one():
    busy, fresh = LeadFactory(), LeadFactory()
    history(busy, 200)
    for lead in (busy, fresh):
        log_interaction(lead_id=lead.pk, kind="call_inbound")  # the first rescore counts the history
    counted = {}
    for lead in (busy, fresh):
        with CaptureQueriesContext(connection) as queries:
            log_interaction(lead_id=lead.pk, kind="web_visit", metadata={"return_visit": True})
        assert not reads_of_interactions(queries), reads_of_interactions(queries)
        counted[lead.pk] = len(queries)
        assert_as_a_full_recount(lead.pk)
    assert counted[busy.pk] == counted[fresh.pk]


def test_a_lead_without_a_tally_or_with_one_of_other_rules_is_counted_again():
    lead = LeadFactory()
    history(lead, 5)
    with CaptureQueriesContext(connection) as queries:
        log_interaction(lead_id=lead.pk, kind="email_open")
    assert len(reads_of_interactions(queries)) == 1  # no tally yet: every interaction read once
    assert_as_a_full_recount(lead.pk)
    publish(other_rules(1))
    Lead.objects.filter(pk=lead.pk).update(score_tally={**loaded(lead.pk).score_tally, "version": 1})
    with CaptureQueriesContext(connection) as queries:
        log_interaction(lead_id=lead.pk, kind="web_visit", metadata={"pages": 3})
    assert len(reads_of_interactions(queries)) == 1
    assert_as_a_full_recount(lead.pk)


def test_metadata_counts_as_it_is_stored_not_as_it_was_passed():
    """A tuple is stored as a JSON list: a rule on a list matches it, as a recount would say."""
    definition = copy.deepcopy(DEFAULT_DEFINITION)
    definition["rules"].append(
        {"key": "radio", "label": "Heard us on the radio", "kind": "note", "points": 7, "when": {"heard": ["radio"]}}
    )
    publish(definition)
    lead = LeadFactory()
    log_interaction(lead_id=lead.pk, kind="note")
    logged = log_interaction(lead_id=lead.pk, kind="note", metadata={"heard": ("radio",)})
    assert [line.rule for line in logged.score.breakdown] == ["behaviour.radio"]
    assert_as_a_full_recount(lead.pk, logged)


def test_a_rescore_without_the_new_interaction_counts_everything_again():
    lead = LeadFactory()
    log_interaction(lead_id=lead.pk, kind="call_inbound")
    history(loaded(lead.pk), 3)  # written behind the tally's back
    lead = loaded(lead.pk)
    rescore_lead(lead, reason="check")
    assert_as_a_full_recount(lead.pk)


def test_the_engagement_rescore_counts_what_the_fold_wrote():
    """The fold writes interactions without touching the lead and marks it; its rescore (one for
    the batch) counts everything again and writes a fresh tally, whatever was logged between."""
    lead = LeadFactory(contact=ContactFactory(consent=True))
    log_interaction(lead_id=lead.pk, kind="call_inbound")
    at = timezone.now()
    Interaction.objects.create(lead=lead, kind="email_open", occurred_at=at, metadata={"email": "x"})
    engaged.mark({lead.pk: (at, False)})
    log_interaction(lead_id=lead.pk, kind="email_click")
    engaged.rescore_all()
    assert_as_a_full_recount(lead.pk)


def test_a_merge_adds_only_its_note_to_each_tally(users):
    kept = LeadFactory(contact=ContactFactory(company=Company.objects.create(name="Harbor", size_band="10-49")))
    merged = LeadFactory(contact=ContactFactory(title="President"))
    for lead in (kept, merged):
        history(lead, 20)
        log_interaction(lead_id=lead.pk, kind="call_inbound")
    with CaptureQueriesContext(connection) as queries:
        merge_contacts(keep_id=kept.contact_id, merge_id=merged.contact_id, by=users["manager"])
    assert not reads_of_interactions(queries)  # the leads' interactions stay theirs: only the notes are new
    for lead in (kept, merged):
        assert_as_a_full_recount(lead.pk)


def test_erasure_forgets_the_tallies_counted_from_what_it_removed(users):
    lead = LeadFactory()
    log_interaction(lead_id=lead.pk, kind="call_inbound", answers=[{"question": "budget", "answer": "approved"}])
    assert loaded(lead.pk).score_tally["answers"]
    erase_contact(contact_id=lead.contact_id, by=users["manager"])
    assert loaded(lead.pk).score_tally is None


def test_an_interaction_deleted_in_the_admin_makes_the_next_rescore_count_again(users):
    lead = LeadFactory()
    logged = log_interaction(lead_id=lead.pk, kind="call_inbound")
    log_interaction(lead_id=lead.pk, kind="meeting")
    admin = client_for(users["manager"])
    response = admin.post(f"/admin/leads/interaction/{logged.interaction.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert loaded(lead.pk).score_tally is None
    log_interaction(lead_id=lead.pk, kind="email_open")
    assert_as_a_full_recount(lead.pk)


def test_counts_of_two_sets_of_interactions_add_up_and_score_as_the_interactions_do():
    book = services.published_rule_book()
    now = timezone.now()
    visits = [InteractionFact("web_visit", now, {"return_visit": flag}) for flag in (True, False, True)]
    opens = [InteractionFact("email_open", now)] * 7
    counts = rule_counts(visits, book) + rule_counts(opens, book)
    assert counts == {"web_visit": 3, "return_visit": 2, "email_open": 7}
    common = {"stage": "inquiry", "answers": {}, "profile": {}, "last_activity_at": now, "now": now}
    by_counts = LeadFacts(interactions=(), counts=dict(counts), counts_version=book.version, **common)
    assert score(by_counts, book) == score(LeadFacts(interactions=tuple(visits + opens), **common), book)


def test_counts_made_under_other_rules_are_refused():
    book = services.published_rule_book()
    now = timezone.now()
    facts = LeadFacts("inquiry", (), {}, {}, now, now, counts={"email_open": 1}, counts_version=book.version + 1)
    with pytest.raises(ValueError, match="rules version"):
        score(facts, book)
