"""What each rule is worth, and "Propose as a draft" (issue 20, part 3), honest by construction:
books of closed leads with a planted effect, built through the services; the analysis must find
the effect, see nothing where there is none, agree with the engine on when each rule fires, and
never change a published score by itself."""

import pytest
from django.utils import timezone

from jobs.models import Job
from leads.models import Lead
from leads.scores import facts_from_rows
from reports.analysis import rules
from reports.analysis.outcomes import outcomes
from scoring.models import RuleSet, RuleSetStatus
from scoring.services import current_draft, published_rule_book
from tests.factories import CompanyFactory, ContactFactory, signed_in_client
from tests.reports.outcome_books import PERIOD, outcome_lead, user, wins

pytestmark = pytest.mark.django_db

SUGGEST = "/api/v1/scoring/draft/suggest/"


def planted(meeting: int, no_meeting: int, *, by=None) -> None:
    """Leads that met us close 50 %, the others 1 in 6 (three times as often); half of each group
    also scanned a QR code, which changes nothing."""
    by = by or user("csr_a")
    for met, n, rate in ((True, meeting, 1 / 2), (False, no_meeting, 1 / 6)):
        for scanned, share in ((True, 1 / 2), (False, 1 / 2)):
            steps = (["meeting"] if met else []) + (["qr_scan"] if scanned else [])
            for won in wins(round(n * share), rate):
                outcome_lead(won, by=by, steps=steps)


def by_rule(figures: dict) -> dict:
    return {row["rule"]: row for row in figures["rules"]}


@pytest.fixture
def meeting_book():
    """72 outcomes: 24 met us (12 won), 48 did not (8 won)."""
    planted(24, 48)


def test_a_behaviour_that_triples_the_close_rate_has_a_lift_above_one_and_positive_points(meeting_book):
    figures = rules.rules(PERIOD)
    assert (figures["outcomes"], figures["won"]) == (72, 20)
    meeting = by_rule(figures)["behaviour.meeting"]
    assert (meeting["fired"], meeting["won_with"]) == (24, 12)
    assert (meeting["close_rate_with"], meeting["close_rate_without"]) == (0.5, 0.1667)
    assert 2.5 < meeting["lift"] < 3.5 and meeting["ci_low"] > 1.2, meeting
    assert meeting["suggested_points"] > 5 and meeting["points"] == 15


def test_a_useless_rule_has_a_lift_whose_interval_holds_one_and_next_to_no_points(meeting_book):
    figures = by_rule(rules.rules(PERIOD))
    scan = figures["behaviour.qr_scan"]
    assert (scan["fired"], scan["close_rate_with"], scan["close_rate_without"]) == (36, 0.2778, 0.2778)
    assert scan["ci_low"] < 1 < scan["ci_high"] and abs(scan["suggested_points"]) <= 1, scan
    # A rule every lead has, or none, cannot be measured at all: no suggestion either.
    called = figures["behaviour.inbound_call"]
    assert called["fired"] == 72 and called["close_rate_without"] is None and called["suggested_points"] is None
    referral = figures["behaviour.referral"]
    assert referral["fired"] == 0 and referral["suggested_points"] is None and referral["lift"] is None


def test_the_method_says_how_points_are_suggested():
    figures = rules.rules(PERIOD)
    assert "shrunken log odds" in figures["method"].lower() and "reports/stats.py" in figures["method"]
    assert figures["definitions"]["lift"] and "at least 50" in figures["warnings"][0]


def test_each_rule_fires_on_the_leads_the_engine_applies_it_to_before_their_close():
    """Behaviour rules with metadata, the latest answer before the close, profile rules matched
    case-insensitively (exact and contains), a contact without a company, an interaction after
    the close: the query must agree with the engine lead by lead."""
    from leads.services import log_interaction

    csr = user("csr_a")
    outcome_lead(True, by=csr, steps=[("web_visit", {"return_visit": True})])
    outcome_lead(False, by=csr, steps=[("web_visit", {"return_visit": False}), "web_visit"])
    outcome_lead(True, by=csr, steps=[{"budget": "none"}], answers={"budget": "approved"})
    outcome_lead(False, by=csr, steps=[{"budget": "approved"}], answers={"budget": "planning"})
    owner = ContactFactory(title="Owner and President", company=CompanyFactory(size_band="10-49"))
    outcome_lead(True, by=csr, contact=owner)
    outcome_lead(False, by=csr, contact=ContactFactory(title="  CEO ", company=CompanyFactory(size_band="250-999")))
    outcome_lead(True, by=csr, contact=ContactFactory(title="Sales rep"))
    later = outcome_lead(False, by=csr)
    log_interaction(lead_id=later.pk, kind="meeting", author=csr)  # after its close: it did not help
    log_interaction(lead_id=later.pk, kind="answers", answers=[{"question": "budget", "answer": "none"}], author=csr)

    book, now, expected = published_rule_book(), timezone.now(), {}
    for lead in outcomes(PERIOD).select_related("contact__company"):
        rows = lead.interactions.filter(occurred_at__lte=lead.closed_at).order_by("occurred_at", "id")
        facts = facts_from_rows(lead, rows.values_list("kind", "occurred_at", "metadata", "answers"), now)
        applies = [f"behaviour.{r.key}" for r in book.behaviour if any(r.matches(i) for i in facts.interactions)]
        applies += [f"answer.{q}.{a}" for q, a in facts.answers.items()]
        applies += [f"profile.{r.key}" for r in book.profile if r.matches(facts.profile)]
        for rule in applies:
            fired, won = expected.get(rule, (0, 0))
            expected[rule] = (fired + 1, won + (lead.stage == "won"))
    found = {row["rule"]: (row["fired"], row["won_with"]) for row in rules.rules(PERIOD)["rules"] if row["fired"]}
    assert found == expected
    assert found["behaviour.return_visit"] == (1, 1) and found["behaviour.web_visit"] == (2, 1)
    assert found["answer.budget.approved"] == (1, 1) and found["answer.budget.planning"] == (1, 0)
    assert "answer.budget.none" not in found and "behaviour.meeting" not in found
    assert found["profile.owner_title"] == (2, 1) and found["profile.size_fit"] == (1, 1)


# --- "Propose as a draft" -------------------------------------------------------------------------


def rule_sets() -> list[tuple]:
    return list(RuleSet.objects.order_by("version").values_list("version", "status", "definition", "note"))


def test_too_few_outcomes_refuse_a_suggestion_and_leave_the_draft_as_it_was(users):
    planted(10, 20)
    current_draft(by=users["marketing"])
    before = rule_sets()
    response = signed_in_client(users["marketing"]).post(SUGGEST, PERIOD.as_params(), content_type="application/json")
    assert response.status_code == 409
    assert response.json()["detail"].startswith("too few outcomes: 30, at least 50")
    assert rule_sets() == before
    assert all(row["suggested_points"] is None for row in rules.rules(PERIOD)["rules"])


def test_a_suggestion_writes_points_into_the_draft_and_no_published_score_moves(users):
    planted(20, 30)  # 50 outcomes: just enough
    scores = sorted(Lead.objects.values_list("id", "score", "temperature", "rules_version", "stage"))
    published = RuleSet.objects.get(status=RuleSetStatus.PUBLISHED)
    definition, jobs = published.definition, Job.objects.count()
    suggested = {row["rule"]: row["suggested_points"] for row in rules.rules(PERIOD)["rules"]}
    client = signed_in_client(users["marketing"])

    response = client.post(SUGGEST, PERIOD.as_params(), content_type="application/json")

    assert response.status_code == 200, response.content
    draft = response.json()
    assert draft["status"] == "draft" and draft["version"] == published.version + 1
    assert draft["note"] == f"Suggested from outcomes {PERIOD.start}–{PERIOD.end}"
    behaviour = {rule["key"]: rule for rule in draft["rules"]}
    assert behaviour["meeting"]["points"] == suggested["behaviour.meeting"] > 5
    assert behaviour["qr_scan"]["points"] == suggested["behaviour.qr_scan"]
    assert behaviour["inbound_call"]["points"] == 50  # no suggestion (every lead called): left as it was
    assert {"rule": "behaviour.meeting", "from": 15, "to": suggested["behaviour.meeting"]} in draft["changes"]
    assert client.get("/api/v1/scoring/draft/").json()["rules"] == draft["rules"]
    # Nothing published changed, nobody was rescored.
    published.refresh_from_db()
    assert published.status == RuleSetStatus.PUBLISHED and published.definition == definition
    assert sorted(Lead.objects.values_list("id", "score", "temperature", "rules_version", "stage")) == scores
    assert Job.objects.count() == jobs


def test_profile_rules_from_the_ideal_customer_profile_go_into_the_draft_when_asked(users, monkeypatch):
    from reports.analysis import icp

    planted(20, 30)
    asked = []
    rule = {"key": "icp_region", "label": "Region of our best customers", "field": "region", "values": ["OR"]}
    rule |= {"match": "exact", "points": 8}

    def profile_rules(period, *, top, by):
        asked.append((period, top, by))
        return [rule]

    monkeypatch.setattr(icp, "profile_rules", profile_rules)
    body = {**PERIOD.as_params(), "rules": False, "profile": True, "top": 0.1}
    response = signed_in_client(users["manager"]).post(SUGGEST, body, content_type="application/json")
    assert response.status_code == 200, response.content
    draft = response.json()
    assert asked == [(PERIOD, 0.1, "contact")] and draft["profile"][-1] == rule
    published = RuleSet.objects.get(status=RuleSetStatus.PUBLISHED).definition
    assert draft["rules"] == published["rules"] and draft["questions"] == published["questions"]  # not asked for


@pytest.mark.parametrize(
    "body, field",
    [
        ({"start": "not a date"}, "start"),
        ({"start": "2026-02-01", "end": "2026-01-01"}, "end"),
        ({"rules": "maybe"}, "rules"),
        ({"rules": False, "profile": False}, "rules"),
        ({"profile": True, "top": 0.9}, "top"),
        ({"profile": True, "top": "a fifth"}, "top"),
    ],
)
def test_bad_input_is_a_400_with_the_field(users, body, field):
    response = signed_in_client(users["marketing"]).post(SUGGEST, body, content_type="application/json")
    assert response.status_code == 400 and field in response.json(), response.content


# --- The API ------------------------------------------------------------------------------------


def test_the_api_answers_json_and_csv(users):
    planted(2, 2)
    client = signed_in_client(users["manager"])
    figures = client.get("/api/v1/reports/rules/", PERIOD.as_params()).json()
    assert figures["outcomes"] == 4 and figures["method"] and figures["definitions"]["suggested_points"]
    meeting = by_rule(figures)["behaviour.meeting"]
    assert (meeting["fired"], meeting["kind"], meeting["suggested_points"]) == (2, "behaviour", None)
    response = client.get("/api/v1/reports/rules/", {**PERIOD.as_params(), "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "rule,label,fired,close_rate_with,close_rate_without,lift,ci_low,ci_high,points,suggested_points"
    assert any(line.startswith("behaviour.meeting,Met with us,2,") for line in lines[1:])


@pytest.mark.parametrize("role", ["csr", "sales"])
def test_csr_and_sales_may_not_read_it_nor_suggest(users, role):
    client = signed_in_client(users[role])
    assert client.get("/api/v1/reports/rules/").status_code == 403
    assert client.post(SUGGEST, {}, content_type="application/json").status_code == 403
