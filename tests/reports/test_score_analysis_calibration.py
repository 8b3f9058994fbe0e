"""Calibration, honest by construction: books made through the services (calls, scripted answers,
promotion, the close), with the effect planted, and the figures expected to find it or to say
there is nothing to find."""

import random

import pytest

from leads.kinds import Stage
from sales.services import claim_lead, close_lead
from tests.factories import FACTS, closer, lead_after

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/calibration/"

# Answers given before the lead qualifies, and the score it becomes sales-ready at:
# a call is 50, then the first answer that takes it to 60 or more promotes it.
AT_60 = {"decision_maker": "yes"}
AT_70 = {"timeline": "this_month"}


def closed(answers: dict, outcome: str):
    by = closer()
    lead = lead_after("call_inbound", answers, **FACTS)
    assert lead.stage == Stage.SALES_READY
    claim_lead(lead_id=lead.pk, by=by)
    close_lead(lead_id=lead.pk, outcome=outcome, by=by, amount=1000 if outcome == Stage.WON else None, reason="Not now")
    lead.refresh_from_db()
    return lead


def book(plan: list[tuple[dict, str, int]]) -> None:
    for answers, outcome, count in plan:
        for _ in range(count):
            closed(answers, outcome)


def test_a_score_that_orders_won_above_lost_shows_it_band_by_band(api_as, users):
    book([(AT_70, Stage.WON, 24), (AT_70, Stage.UNCLOSED, 6), (AT_60, Stage.WON, 6), (AT_60, Stage.DEAD, 24)])
    answer = api_as(users["manager"]).get(URL).json()
    assert answer["outcomes"] == 60 and answer["won"] == 30
    bands = {band["band"]: band for band in answer["bands"]}
    assert (bands["70–79"]["leads"], bands["70–79"]["won"], bands["70–79"]["close_rate"]) == (30, 24, 0.8)
    assert (bands["60–69"]["leads"], bands["60–69"]["won"]) == (30, 6)
    assert bands["60–69"]["ci_low"] < 0.2 < bands["60–69"]["ci_high"] < bands["70–79"]["ci_low"]
    assert answer["auc"] == pytest.approx(0.8, abs=0.01)  # 24·24 + half the ties of 24·6·2 ÷ 900
    assert answer["auc_ci_low"] > 0.5
    assert not any("chance" in warning or "closes less" in warning for warning in answer["warnings"])
    assert any("those bands say nothing" in w for w in answer["warnings"])  # the empty bands


def test_a_score_that_says_nothing_is_called_so(api_as, users):
    rng = random.Random(7)
    outcomes = [Stage.WON if rng.random() < 0.4 else Stage.UNCLOSED for _ in range(60)]
    for index, outcome in enumerate(outcomes):
        closed(AT_70 if index % 2 else AT_60, outcome)
    answer = api_as(users["marketing"]).get(URL, {"bands": "temperature"}).json()
    assert answer["outcomes"] == 60
    assert 0.3 < answer["auc"] < 0.7 and answer["auc_ci_low"] <= 0.5 <= answer["auc_ci_high"]
    assert any("no better than chance" in warning for warning in answer["warnings"])
    assert [band["band"] for band in answer["bands"]] == ["cold", "warm", "hot"]


def test_a_hotter_band_closing_less_beyond_the_noise_is_warned_about(api_as, users):
    book([(AT_70, Stage.WON, 5), (AT_70, Stage.DEAD, 25), (AT_60, Stage.WON, 22), (AT_60, Stage.UNCLOSED, 8)])
    warnings = api_as(users["manager"]).get(URL).json()["warnings"]
    assert any(w.startswith("Band 70–79 closes less") and "60–69" in w for w in warnings), warnings


def test_too_few_outcomes_are_said_to_be_too_few_and_the_csv_has_every_band(api_as, users):
    book([(AT_70, Stage.WON, 3), (AT_60, Stage.DEAD, 2)])
    client = api_as(users["manager"])
    answer = client.get(URL).json()
    assert answer["outcomes"] == 5 and "at least 50" in answer["warnings"][0]
    csv = client.get(URL, {"format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().lstrip("\ufeff").splitlines()  # the BOM spreadsheets want
    assert lines[0] == "band,low,high,leads,won,close_rate,ci_low,ci_high" and len(lines) == 11


def test_bad_settings_are_refused_in_words_and_others_may_not_look(api_as, users):
    client = api_as(users["manager"])
    refused = client.get(URL, {"at": "lunch", "bands": "tenths", "start": "2026-13-01"})
    assert refused.status_code == 400
    body = refused.json()
    assert set(body) >= {"at", "bands"}
    assert api_as(users["csr"]).get(URL).status_code == 403
    assert api_as(users["sales"]).get(URL).status_code == 403
