"""The pure scoring engine: no database, just facts and rules in, a score and its reasons out."""

from datetime import UTC, datetime, timedelta

import pytest

from scoring.defaults import DEFAULT_DEFINITION
from scoring.definition import parse_definition
from scoring.engine import InteractionFact, LeadFacts, RuleBookError, score

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
BOOK = parse_definition(DEFAULT_DEFINITION, version=1)


def facts(*kinds, stage="inquiry", answers=None, profile=None, last_activity=NOW, **metadata):
    return LeadFacts(
        stage=stage,
        interactions=tuple(InteractionFact(kind, NOW, dict(metadata)) for kind in kinds),
        answers=answers or {},
        profile=profile or {},
        last_activity_at=last_activity,
        now=NOW,
    )


def test_an_inbound_inquiry_call_is_worth_fifty():
    result = score(facts("call_inbound"), BOOK)
    assert result.total == 50 and result.temperature == "warm"
    assert [line.as_dict() for line in result.breakdown] == [
        {"rule": "behaviour.inbound_call", "label": "Called us with an inquiry", "points": 50}
    ]


def test_behaviour_points_stop_at_the_rule_cap():
    result = score(facts(*["email_open"] * 9), BOOK)
    assert result.total == 10
    assert "capped at 10" in result.breakdown[0].label


def test_answers_add_and_subtract_points():
    keen = score(facts("call_inbound", answers={"timeline": "this_month", "budget": "approved"}), BOOK)
    assert keen.total == 50 + 20 + 15 and keen.temperature == "hot"
    browsing = score(facts("call_inbound", answers={"timeline": "just_looking", "budget": "none"}), BOOK)
    assert browsing.total == 50 - 10 - 10 and browsing.temperature == "cold"


def test_profile_fit_counts_title_and_company_size():
    result = score(facts(profile={"title": "Owner and President", "size_band": "10-49"}), BOOK)
    assert result.total == 10
    assert {line.rule for line in result.breakdown} == {"profile.owner_title", "profile.size_fit"}


def test_return_visits_score_on_top_of_visits():
    result = score(facts("web_visit", return_visit=True), BOOK)
    assert result.total == 2 + 5


def test_quiet_leads_decay_by_the_week_up_to_the_limit():
    assert score(facts("call_inbound", last_activity=NOW - timedelta(days=20)), BOOK).total == 50
    assert score(facts("call_inbound", last_activity=NOW - timedelta(days=21)), BOOK).total == 45
    assert score(facts("call_inbound", last_activity=NOW - timedelta(days=28)), BOOK).total == 40
    assert score(facts("call_inbound", last_activity=NOW - timedelta(days=400)), BOOK).total == 20


def test_score_is_clamped_to_0_and_100():
    low = score(facts(answers={"timeline": "just_looking", "budget": "none", "decision_maker": "no"}), BOOK)
    assert low.total == 0 and sum(line.points for line in low.breakdown) == -25
    high = score(facts("call_inbound", "form", "meeting", "meeting", answers={"timeline": "this_month"}), BOOK)
    assert high.total == 100


def test_won_pins_100_and_dead_pins_0():
    assert score(facts("email_open", stage="won"), BOOK).total == 100
    assert score(facts("call_inbound", "meeting", stage="dead"), BOOK).total == 0


def test_breakdown_points_add_up_to_the_score_within_the_scale():
    result = score(
        facts(
            "call_inbound", "email_open", "qr_scan", answers={"decision_maker": "shared"}, profile={"title": "Director"}
        ),
        BOOK,
    )
    assert result.total == sum(line.points for line in result.breakdown) == 50 + 2 + 5 + 5 + 5
    assert result.rules_version == 1


def test_thresholds_are_inclusive():
    assert BOOK.thresholds.temperature(70) == "hot"
    assert BOOK.thresholds.temperature(69) == "warm"
    assert BOOK.thresholds.temperature(40) == "warm"
    assert BOOK.thresholds.temperature(39) == "cold"


@pytest.mark.parametrize(
    "broken,where",
    [
        ({"rules": [{"key": "x", "label": "X", "kind": "teleport", "points": 5}]}, "rules[0].kind"),
        ({"rules": [{"key": "x", "label": "X", "kind": "note", "points": 500}]}, "rules[0].points"),
        ({"rules": [{"key": "x", "label": "X", "kind": "note", "points": "5"}]}, "rules[0].points"),
        ({"rules": [{"key": "x", "label": "X", "kind": "note", "points": 5, "cap": 2}]}, "rules[0].cap"),
        (
            {
                "rules": [
                    {"key": "x", "label": "X", "kind": "note", "points": 1},
                    {"key": "x", "label": "Y", "kind": "note", "points": 1},
                ]
            },
            "rules[1].key",
        ),
        ({"questions": [{"key": "q", "text": "Q?", "options": []}]}, "questions[0].options"),
        (
            {"profile": [{"key": "p", "label": "P", "field": "shoe_size", "values": ["9"], "points": 1}]},
            "profile[0].field",
        ),
        ({"rules": [], "questions": [], "profile": []}, "rules"),
        (
            {
                "rules": [{"key": "x", "label": "X", "kind": "note", "points": 1}],
                "thresholds": {"hot": 30, "warm": 40, "sales_ready": 50},
            },
            "thresholds.warm",
        ),
        (
            {
                "rules": [{"key": "x", "label": "X", "kind": "note", "points": 1}],
                "decay": {"after_days": -1, "points_per_week": 5, "max_points": 10},
            },
            "decay.after_days",
        ),
    ],
)
def test_bad_rule_definitions_are_refused_with_where_and_why(broken, where):
    definition = {"thresholds": {"hot": 70, "warm": 40, "sales_ready": 60}, **broken}
    with pytest.raises(RuleBookError) as error:
        parse_definition(definition)
    assert where in error.value.errors


def test_every_problem_is_reported_at_once():
    with pytest.raises(RuleBookError) as error:
        parse_definition({"rules": [{"key": "", "kind": "zap", "points": 1000}], "thresholds": {}})
    assert {"rules[0].key", "rules[0].kind", "rules[0].points", "rules[0].label", "thresholds.hot"} <= set(
        error.value.errors
    )


def test_the_shipped_rules_have_at_least_three_questions():
    assert len(BOOK.questions) >= 3
    assert all(len(question.options) >= 2 for question in BOOK.questions)
