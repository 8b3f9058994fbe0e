"""Score analysis reads each outcome's closing tally (Lead.closing_tally, counted by leads.scores
when the lead closed) instead of its interactions. The tally is a shortcut, never a second
truth: on a book with answers by several people, answers changed, behaviour with and without
metadata, interactions logged after the close and one logged late about a moment before it, every
figure of the raters and the rules analyses is the same whether the tallies are read, forgotten
(the interactions read instead), counted under other rules, or half and half."""

from datetime import timedelta
from io import StringIO

import pytest
from django.db.models import Q
from django.utils import timezone

from leads.models import Lead
from leads.scores import CLOSING_FIELDS, closing_rows, profile_of
from leads.services import log_interaction
from reports.analysis import raters, rules
from reports.analysis.outcomes import outcomes
from scoring.services import published_rule_book
from tests.reports.outcome_books import PERIOD, outcome_lead, user

pytestmark = pytest.mark.django_db


@pytest.fixture
def book():
    """Twelve outcomes by three people; steps that do and do not fire rules, some after the close."""
    people = [user("csr_a"), user("csr_b"), user("csr_c")]
    budgets = ["approved", "planning", "none"]
    leads = []
    for n in range(12):
        steps = [("web_visit", {"return_visit": n % 3 == 0})] if n % 2 else ["meeting"]
        if n % 4 == 0:
            steps.append({"budget": "none", "system_age": "over_15"})  # changed by the last answers
        lead = outcome_lead(n % 3 == 0, by=people[n % 3], answers={"budget": budgets[n % 3]}, steps=steps)
        leads.append(lead)
    after = timezone.now() + timedelta(minutes=1)
    for lead in leads[0:12:3]:  # the won ones (a lost one would come back), after the close: never counted
        log_interaction(lead_id=lead.pk, kind="meeting", occurred_at=after, author=people[0])
        log_interaction(
            lead_id=lead.pk, kind="answers", answers=[{"question": "budget", "answer": "none"}], author=people[1]
        )
    late = leads[9]  # logged late, about a moment before the close: counted, as a reread would
    log_interaction(
        lead_id=late.pk,
        kind="answers",
        occurred_at=late.closed_at - timedelta(minutes=5),
        answers=[{"question": "system_age", "answer": "under_5"}],
        author=people[2],
    )
    return leads


def figures() -> tuple[dict, dict]:
    return rules.rules(PERIOD), raters.raters(PERIOD)


def test_every_outcome_closed_through_the_services_has_the_tally_of_its_interactions_up_to_its_close(book):
    book_rules = published_rule_book()
    for lead in Lead.objects.filter(pk__in=[lead.pk for lead in book]).select_related("contact__company"):
        rows = lead.interactions.order_by().values_list(*CLOSING_FIELDS)
        assert lead.closing_tally == closing_rows(rows, lead.closed_at, book_rules)
        assert lead.closing_profile == profile_of(lead)
    late = Lead.objects.get(pk=book[9].pk)
    assert late.closing_tally["answers"]["system_age"][0] == "under_5"
    assert ["system_age", user("csr_c").pk, "under_5", 1] in late.closing_tally["answered"]
    early = Lead.objects.get(pk=book[0].pk)
    assert early.closing_tally["counts"].get("meeting") == 1  # the meeting after its close left out
    assert early.score_tally["counts"]["meeting"] == 2


def test_the_analyses_read_the_same_from_the_tallies_as_from_the_interactions(book):
    counted = figures()
    assert counted[0]["outcomes"] == 12 and counted[1]["outcomes"] == 12
    meeting = next(row for row in counted[0]["rules"] if row["rule"] == "behaviour.meeting")
    assert meeting["fired"] == 6  # the meetings after the close never count
    returned = next(row for row in counted[0]["rules"] if row["rule"] == "behaviour.return_visit")
    assert returned["fired"] == 2  # a visit's metadata decides, as in the engine
    budget = next(question for question in counted[1]["questions"] if question["question"] == "budget")
    assert sum(rater["answers"] for rater in budget["raters"]) == 15  # 12 last answers and 3 changed ones

    Lead.objects.update(closing_tally=None)  # forgotten: read from the interactions
    assert figures() == counted


def test_tallies_counted_under_other_rules_or_only_some_leads_change_no_figure(book):
    counted = figures()
    ids = sorted(outcomes(PERIOD).values_list("pk", flat=True))
    for lead in Lead.objects.filter(pk__in=ids[::2]):  # counted under an older version
        lead.closing_tally["version"] = lead.closing_tally["version"] - 1
        lead.save(update_fields=["closing_tally"])
    assert figures() == counted
    Lead.objects.filter(pk__in=ids[1::3]).update(closing_tally=None)
    assert figures() == counted


def test_a_profile_rule_is_judged_on_the_profile_the_lead_closed_with_whatever_happens_to_the_tally():
    """The contact was an owner when the sale closed and is a clerk now: what each rule is worth
    measures the rules on what the score saw when it counted, through a publish's recount, a tally
    forgotten (an interaction edited in the admin) and one counted under other rules."""
    from crm.services import update_contact
    from leads.scores import forget_tallies, rescore_many
    from tests.factories import ContactFactory

    lead = outcome_lead(True, by=user("csr_a"), contact=ContactFactory(title="Owner"))
    update_contact(contact_id=lead.contact_id, title="Clerk")

    def owner() -> tuple[int, int]:
        row = next(row for row in rules.rules(PERIOD)["rules"] if row["rule"] == "profile.owner_title")
        return row["fired"], row["won_with"]

    assert owner() == (1, 1)
    rescore_many([lead.pk], book=published_rule_book(), reason="a publish")
    assert owner() == (1, 1)
    forget_tallies([lead.pk])
    assert owner() == (1, 1)
    rescore_many([lead.pk], book=published_rule_book(), reason="a publish")
    lead.refresh_from_db()
    lead.closing_tally["version"] -= 1
    lead.save(update_fields=["closing_tally"])
    assert owner() == (1, 1)
    assert Lead.objects.get(pk=lead.pk).closing_profile["title"] == "Owner"


def test_a_deleted_colleague_and_metadata_python_holds_equal_read_the_same_either_way(book):
    """An author deleted since (their interactions' author is NULL now) is nobody's answers on either
    path; a visit whose metadata says 1 for true fires the return-visit rule on either path, as it
    scores."""
    won = book[6]  # a won lead (a lost one might come back with a visit)
    log_interaction(lead_id=won.pk, kind="web_visit", metadata={"return_visit": 1}, occurred_at=won.closed_at)
    user("csr_b").delete()
    counted = figures()
    returned = next(row for row in counted[0]["rules"] if row["rule"] == "behaviour.return_visit")
    assert returned["fired"] == 3
    assert all(rater["user"] != "csr_b" for question in counted[1]["questions"] for rater in question["raters"])
    Lead.objects.update(closing_tally=None)
    assert figures() == counted


def test_count_closing_tallies_gives_a_book_closed_before_them_its_tallies_and_changes_no_figure(book):
    from django.core.management import call_command

    counted = figures()
    Lead.objects.update(closing_tally=None, closing_profile=None)
    stages = dict(Lead.objects.values_list("pk", "stage"))
    call_command("count_closing_tallies", stdout=StringIO())
    assert not outcomes(PERIOD).filter(Q(closing_tally__isnull=True) | Q(closing_profile__isnull=True)).exists()
    assert not Lead.objects.filter(closed_at__isnull=True, closing_tally__isnull=False).exists()
    assert dict(Lead.objects.values_list("pk", "stage")) == stages  # a recount moves no stage
    assert figures() == counted
