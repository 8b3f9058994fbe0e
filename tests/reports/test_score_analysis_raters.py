"""Consistency between the people who measure (issue 20, part 2), honest by construction: books
of closed leads with a planted habit, built through the services, and the analysis must find
the habit, only the habit, and nothing it cannot tell from luck."""

import pytest

from reports.analysis import raters
from tests.factories import signed_in_client
from tests.reports.outcome_books import PERIOD, outcome_lead, user, wins

pytestmark = pytest.mark.django_db

APPROVED = "Yes, approved"


def answered(by, source: str, counts: dict[str, int], close_rate: float) -> None:
    """For each budget answer, that many leads from `source` answered so by `by`, closing at `close_rate`."""
    for answer, n in counts.items():
        for won in wins(n, close_rate):
            outcome_lead(won, by=by, answers={"budget": answer}, source=source)


def budget(figures: dict) -> dict:
    question = next(q for q in figures["questions"] if q["question"] == "budget")
    return question | {"by_user": {rater["user"]: rater for rater in question["raters"]}}


@pytest.fixture
def inflating_book():
    """Everyone's leads close 30 % whatever they answered. From web forms the team answers budget
    approved / planning / none 1 : 2 : 1; from phone calls 7 : 2 : 1. Y takes web forms and
    answers "approved" twice as often (5 : 3 : 2). C takes phone calls only, answered as the team
    answers them there, so C's raw share of "approved" is high and must not be held against C."""
    csr = {name: user(name) for name in ("a", "b", "c", "y")}
    for name in ("a", "b"):
        answered(csr[name], "web_form", {"approved": 4, "planning": 8, "none": 4}, 0.3)
        answered(csr[name], "phone", {"approved": 7, "planning": 2, "none": 1}, 0.3)
    answered(csr["c"], "phone", {"approved": 14, "planning": 4, "none": 2}, 0.3)
    answered(csr["y"], "web_form", {"approved": 30, "planning": 18, "none": 12}, 0.3)
    return csr


def test_a_csr_who_answers_approved_twice_as_often_on_comparable_leads_is_flagged_and_says_why(inflating_book):
    figures = raters.raters(PERIOD)
    assert figures["outcomes"] == 132
    y = budget(figures)["by_user"]["y"]
    assert y["flagged"] and y["distribution_p"] < 0.001, y
    assert y["distribution"]["approved"] == 0.5 and y["expected"]["approved"] == 0.25
    assert y["why"] == f"Answers '{APPROVED}' on 50% of their 60 answers where comparable leads get 25% (p < 0.001)."


def test_nobody_else_is_flagged_and_each_is_compared_on_the_sources_they_answered(inflating_book):
    figures = raters.raters(PERIOD)
    by_user = budget(figures)["by_user"]
    assert [name for name, rater in by_user.items() if rater["flagged"]] == ["y"]
    c, team = by_user["c"], budget(figures)["team"]
    # C says "approved" far more often than the team as a whole, and exactly as often as the rest
    # of the team does on phone calls, the only leads C answered: no flag.
    assert c["distribution"]["approved"] == c["expected"]["approved"] == 0.7
    assert team["distribution"]["approved"] == 0.5 and c["distribution_p"] == 1.0
    others = [q for q in figures["questions"] if q["question"] != "budget"]
    assert not any(rater["flagged"] for question in others for rater in question["raters"])


def test_too_few_answers_are_never_flagged_however_lopsided():
    answered(user("a"), "web_form", {"approved": 2, "planning": 4, "none": 2}, 0.3)
    answered(user("d"), "web_form", {"approved": 5}, 0.3)
    figures = raters.raters(PERIOD)
    d = budget(figures)["by_user"]["d"]
    assert d["distribution"]["approved"] == 1.0 and d["answers"] == 5
    assert not d["flagged"] and d["why"] == "" and d["distribution_p"] is None
    assert any("Too few answers to test" in warning and "d" in warning for warning in figures["warnings"])


def test_a_csr_whose_approved_leads_close_far_less_than_the_rest_of_the_teams_is_flagged():
    """Z and A answer alike (always "approved"); none of Z's leads close, half of A's."""
    answered(user("z"), "web_form", {"approved": 15}, 0.0)
    answered(user("a"), "web_form", {"approved": 30}, 0.5)
    by_user = budget(raters.raters(PERIOD))["by_user"]
    z, a = by_user["z"], by_user["a"]
    assert z["flagged"] and z["close_rate"]["approved"] == 0.0 and z["close_rate_p"]["approved"] < 0.001
    why = f"Their '{APPROVED}' leads close 0% (of 15) against 50% (of 30) for the rest of the team (p < 0.001)."
    assert z["why"] == why
    assert a["flagged"]  # the mirror image: A's approved leads close more than the rest's (Z's)
    assert z["distribution_p"] is None  # one answer only: no spread to compare


def test_a_difference_on_fewer_than_ten_leads_is_not_flagged():
    answered(user("z"), "web_form", {"approved": 9}, 0.0)
    answered(user("a"), "web_form", {"approved": 20}, 0.6)
    z = budget(raters.raters(PERIOD))["by_user"]["z"]
    assert z["close_rate"]["approved"] == 0.0 and z["close_rate_p"]["approved"] is None and not z["flagged"]


def test_a_period_with_no_outcomes_says_so():
    figures = raters.raters(PERIOD)
    assert figures["outcomes"] == 0 and all(not q["raters"] for q in figures["questions"])
    assert figures["warnings"] and "at least 50" in figures["warnings"][0]


# --- The API ------------------------------------------------------------------------------------


@pytest.fixture
def small_book():
    answered(user("y"), "web_form", {"approved": 2, "none": 1}, 0.5)


def test_the_api_answers_json_and_csv(small_book, users):
    client = signed_in_client(users["marketing"])
    figures = client.get("/api/v1/reports/raters/", PERIOD.as_params()).json()
    assert figures["outcomes"] == 3 and figures["definitions"]["flagged"]
    y = budget(figures)["by_user"]["y"]
    assert y["answers"] == 3 and y["distribution"]["approved"] == 0.6667 and not y["flagged"]
    response = client.get("/api/v1/reports/raters/", {**PERIOD.as_params(), "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "question,user,answers,distribution,close_rate,flagged,why"
    assert any(line.startswith("budget,y,3,") for line in lines[1:])


@pytest.mark.parametrize("role", ["csr", "sales"])
def test_csr_and_sales_may_not_read_it(users, role):
    assert signed_in_client(users[role]).get("/api/v1/reports/raters/").status_code == 403


def test_a_bad_period_is_a_400(users):
    response = signed_in_client(users["manager"]).get("/api/v1/reports/raters/", {"start": "yesterday"})
    assert response.status_code == 400 and "start" in response.json()
