"""The shared scoreboard: each figure as defined, over the period's cohort, through the API,
the page and CSV; bad input is a clear 400; an empty period is zeros and "no data"."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Campaign, Offer, Placement
from leads.models import Lead, LeadFeedback
from reports import selectors
from reports.periods import Period
from tests.factories import LeadFactory, closed_lead, closer, hot_lead, sales_ready_lead, signed_in_client, won_lead

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
PERIOD = Period(TODAY - timedelta(days=29), TODAY)


def won(amount, *, upsell=False, upsell_amount=None, cycle=10, **fields):
    """A sale closed through the close service `cycle` days after the lead came in."""
    return won_lead(amount, upsell_accepted=upsell, upsell_amount=upsell_amount, cycle_days=cycle, **fields)


def answered_hot(minutes, **fields):
    """A lead that turned hot (70) `minutes` before our first call to it."""
    from leads.services import log_interaction

    lead = hot_lead(**fields)
    turned_hot = timezone.now() - timedelta(minutes=minutes)
    Lead.objects.filter(pk=lead.pk).update(first_hot_at=turned_hot, hot_since=turned_hot)
    called = turned_hot + timedelta(minutes=minutes)
    log_interaction(lead_id=lead.pk, kind="call_outbound", author=closer(), occurred_at=called)
    return lead


def aged(lead, days):
    Lead.objects.filter(pk=lead.pk).update(inquired_at=timezone.now() - timedelta(days=days))
    return lead


@pytest.fixture
def book():
    """Ten leads of the last 30 days (and one older, one bought name that never answered)."""
    won("1000", upsell=True, upsell_amount="250", cycle=5, utm_source="radio")
    won("3000", cycle=15, utm_source="radio")
    closed_lead("unclosed", utm_source="radio")
    closed_lead("dead", utm_source="web")
    answered_hot(10, utm_source="web", inquiry_reason="Quote", desired_outcome="Lower bills")  # sales-ready
    answered_hot(30, source="referral")  # an inquiry: what they want is not recorded yet
    for _ in range(4):
        LeadFactory(stage="inquiry", utm_source="web")
    aged(won("99999", utm_source="radio"), days=400)  # last year's win: not this cohort
    LeadFactory(stage="list")  # a bought name: not a lead until it inquires


def test_the_summary_counts_the_cohort_as_defined(book):
    figures = selectors.summary(PERIOD)
    assert {k: figures[k] for k in ("leads", "inquiries", "sales_ready", "won", "unclosed", "dead")} == {
        "leads": 10,
        "inquiries": 5,
        "sales_ready": 1,
        "won": 2,
        "unclosed": 1,
        "dead": 1,
    }
    assert figures["close_ratio"] == 0.2 and figures["avg_transaction"] == "2000.00"
    assert figures["upsell_rate"] == 0.5 and figures["referral_rate"] == 0.1
    assert figures["upsell_revenue"] == "250.00"  # the upsell's part of the 1,000 sale
    assert (figures["avg_transaction_with_upsell"], figures["avg_transaction_without_upsell"]) == ("1000.00", "3000.00")
    assert figures["median_sales_cycle_days"] == 10.0  # the middle of 5 and 15
    assert figures["median_hot_response_minutes"] == 20.0  # the middle of 10 and 30 minutes
    assert figures["revenue"] == "4000.00" and figures["letters_sent"] == 0


def test_the_funnel_gives_each_stage_its_share_and_its_share_of_the_stage_before(book):
    rows = {row["stage"]: row for row in selectors.funnel(PERIOD)}
    assert [r for r in rows] == ["inquiry", "sales_ready", "won", "customer"]
    assert (rows["inquiry"]["count"], rows["inquiry"]["share"], rows["inquiry"]["of_previous"]) == (10, 1.0, None)
    # The sales-ready one, the two won and the unclosed and dead ones, sales-ready before they closed.
    assert (rows["sales_ready"]["count"], rows["sales_ready"]["share"]) == (5, 0.5)
    assert (rows["won"]["count"], rows["won"]["of_previous"]) == (2, 0.4)


def placement(cost, *, outlet="radio", channel="radio", days=30, offset=0):
    now = timezone.now()
    offer = Offer.objects.create(
        campaign=Campaign.objects.create(name=f"Campaign {Campaign.objects.count()}"),
        code=f"C{Offer.objects.count()}",
        headline="Deal",
        starts_at=now - timedelta(days=60),
        deadline=now + timedelta(days=60),
    )
    start = TODAY - timedelta(days=29 - offset)
    return Placement.objects.create(
        offer=offer,
        channel=channel,
        outlet=outlet,
        starts_on=start,
        ends_on=start + timedelta(days=days - 1),
        cost=cost,
    )


def test_sources_carry_revenue_cost_and_roi_per_utm_source(book, users):
    placement("1000.00", channel="web")  # an online ad whose outlet is the source; runs the whole period
    placement("600.00", outlet="Banner", channel="web", days=60, offset=-30)  # half of its days in the period
    placement("900.00", outlet="Billboard", channel="outdoor")  # no UTM source: not a row here
    rated = Lead.objects.get(utm_source="radio", won_amount=Decimal("1000"))
    LeadFeedback.objects.create(lead=rated, author=users["sales"], rating=4, reason="Good")
    response = signed_in_client(users["marketing"]).get(
        "/api/v1/reports/sources/", {"group": "utm_source", **PERIOD.as_params()}
    )
    rows = {row["source"]: row for row in response.json()}
    radio = rows["radio"]
    assert (radio["leads"], radio["won"], radio["revenue"], radio["cost"]) == (3, 2, "4000.00", "1000.00")
    assert radio["roi"] == 3.0 and radio["cost_per_lead"] == "333.33" and radio["cost_per_sale"] == "500.00"
    assert radio["quality"] == 4.0
    assert rows["banner"]["leads"] == 0 and rows["banner"]["cost"] == "300.00" and rows["banner"]["roi"] == -1.0
    assert "billboard" not in rows
    assert rows["web"]["roi"] is None  # nothing spent: no ROI
    assert rows["(none)"]["leads"] == 1  # the referral


def test_sources_group_by_campaign_offer_and_placement(users):
    paid = placement("500.00")
    LeadFactory(offer=paid.offer, campaign=paid.offer.campaign, placement=paid)
    client = signed_in_client(users["manager"])
    for group, name in (("campaign", paid.offer.campaign.name), ("offer", f"{paid.offer.code}: Deal")):
        rows = client.get("/api/v1/reports/sources/", {"group": group}).json()
        assert any(r["source"] == name and r["leads"] == 1 and r["cost"] == "500.00" for r in rows), rows
    rows = client.get("/api/v1/reports/sources/", {"group": "placement"}).json()
    assert rows[0]["source"] == f"radio: radio ({paid.offer.code})" and rows[0]["cost"] == "500.00"


def test_the_roi_chart_names_each_placement_in_full_and_values_it_as_its_table(users):
    """Long placement names used to be cut at the chart's left edge ("rect mail: Unclosed-pro…")."""
    paid = placement("850.00", outlet="Unclosed-prospect letter for the spring", channel="direct mail")
    won("10000", offer=paid.offer, campaign=paid.offer.campaign, placement=paid)
    html = signed_in_client(users["marketing"]).get("/reports/", PERIOD.as_params()).content.decode()
    chart = html.split('aria-label="ROI by placement"')[1].split("</svg>")[0]
    name = f"direct mail: Unclosed-prospect letter for the spring ({paid.offer.code})"
    assert f'<text x="0" y="13" class="bar-label">{name}</text>' in chart  # from the left edge, whole
    assert ">1076.5%</text>" in chart and ">1076.5%</td>" in html  # (10000 − 850) ÷ 850, as in the table


def test_the_pipeline_calculator_gives_the_seeds_example(users):
    LeadFactory(stage="inquiry", estimated_value=Decimal("2000000"))
    client = signed_in_client(users["sales"])
    figures = client.get(
        "/api/v1/reports/pipeline/", {"target": "1000000", "close_rate": "0.1", "avg_deal": "5000"}
    ).json()
    assert figures["pipeline_needed"] == "10000000.00" and figures["leads_needed"] == 2000
    assert (figures["open_leads"], figures["open_pipeline"], figures["open_without_estimate"]) == (1, "2000000.00", 0)
    assert (figures["gap_leads"], figures["gap_money"]) == (1999, "8000000.00")


def test_the_open_pipeline_says_how_many_open_leads_have_no_estimate_instead_of_worth_nothing(users):
    client = signed_in_client(users["sales"])
    LeadFactory(stage="inquiry")
    sales_ready_lead()
    won_lead("9000", estimated_value=Decimal("9000"))  # closed: not the open pipeline
    figures = client.get("/api/v1/reports/pipeline/", {"target": "1000000", "close_rate": "0.1"}).json()
    assert (figures["open_leads"], figures["open_pipeline"], figures["open_without_estimate"]) == (2, "0.00", 2)
    html = client.get("/reports/calculator/", {"target": "1000000", "close_rate_percent": "10"}).content.decode()
    said = html.split('data-testid="open-pipeline">')[1].split("</dd>")[0]
    assert "2 open leads, none with an estimated value yet" in said and "$0.00" not in said
    LeadFactory(stage="inquiry", estimated_value=Decimal("2500"))
    html = client.get("/reports/calculator/", {"target": "1000000", "close_rate_percent": "10"}).content.decode()
    said = html.split('data-testid="open-pipeline">')[1].split("</dd>")[0]
    assert "3 open leads worth $2,500.00 as estimated; 2 of them have no estimate yet." in said
    assert "less what the 2 leads without an estimate are worth" in html


def test_the_calculator_defaults_to_the_measured_rates(book, users):
    figures = signed_in_client(users["sales"]).get("/api/v1/reports/pipeline/", {"target": "100000"}).json()
    assert figures["close_rate"] == 0.2 and figures["close_rate_measured"] and figures["avg_deal"] == "2000.00"
    assert figures["pipeline_needed"] == "500000.00" and figures["leads_needed"] == 250


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("summary", {"start": "2026-13-01"}, "start"),
        ("summary", {"start": "yesterday"}, "start"),
        ("funnel", {"start": "2026-05-01", "end": "2026-04-01"}, "end"),
        ("sources", {"group": "horoscope"}, "group"),
        ("sources", {"ordering": "password"}, "ordering"),
        ("pipeline", {}, "target"),
        ("pipeline", {"target": "-5"}, "target"),
        ("pipeline", {"target": "1000", "close_rate": "0"}, "close_rate"),
        ("pipeline", {"target": "1000", "close_rate": "-0.1"}, "close_rate"),
        ("pipeline", {"target": "1000", "close_rate": "1.5"}, "close_rate"),
        ("pipeline", {"target": "1000", "avg_deal": "-1"}, "avg_deal"),
        ("pipeline", {"target": "NaN"}, "target"),
        ("pipeline", {"target": "1e400"}, "target"),
        ("pipeline", {"target": "1000000", "close_rate": "1e-30"}, "close_rate"),
        ("pipeline", {"target": "1000000", "close_rate": "1e-999999"}, "close_rate"),
    ],
)
def test_bad_input_is_a_clear_400(users, path, params, field):
    response = signed_in_client(users["manager"]).get(f"/api/v1/reports/{path}/", params)
    assert response.status_code == 400 and field in response.json(), response.content


def test_a_period_with_no_leads_is_zeros_and_no_data(users):
    figures = (
        signed_in_client(users["csr"])
        .get("/api/v1/reports/summary/", {"start": "2001-01-01", "end": "2001-01-31"})
        .json()
    )
    assert figures["leads"] == 0 and figures["close_ratio"] is None and figures["avg_transaction"] is None
    funnel = (
        signed_in_client(users["csr"])
        .get("/api/v1/reports/funnel/", {"start": "2001-01-01", "end": "2001-01-31"})
        .json()
    )
    assert [row["share"] for row in funnel] == [None, None, None, None]
    page = signed_in_client(users["csr"]).get("/reports/", {"start": "2001-01-01", "end": "2001-01-31"})
    assert page.status_code == 200 and 'data-testid="no-data"' in page.content.decode()


def test_every_report_answers_csv_with_formulas_neutralized(users):
    LeadFactory(utm_source="=cmd()")
    client = signed_in_client(users["marketing"])
    by_accept = client.get("/api/v1/reports/sources/", HTTP_ACCEPT="text/csv")
    assert by_accept["Content-Type"].startswith("text/csv")
    text = by_accept.content.decode("utf-8-sig")
    header = "source,leads,won,close_ratio,revenue,cost,cost_per_lead,cost_per_sale,roi,quality,visits"
    assert text.splitlines()[0] == header
    assert "'=cmd()" in text and "\n=cmd()" not in text
    for path in ("summary", "funnel"):
        response = client.get(f"/api/v1/reports/{path}/", {"format": "csv"})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    csv = client.get("/api/v1/reports/pipeline/", {"format": "csv", "target": "1000000", "close_rate": "0.1"})
    assert "pipeline_needed,10000000.00" in csv.content.decode("utf-8-sig")
    refused = client.get("/api/v1/reports/pipeline/", {"format": "csv", "target": "0"})
    assert refused.status_code == 400 and "target" in refused.json()  # the reasons, in JSON


def test_the_page_downloads_each_table_as_csv(book, users):
    client = signed_in_client(users["manager"])
    for name in ("summary", "funnel", "weekly", "scores", "sources-utm_source", "sources-placement"):
        response = client.get(f"/reports/{name}.csv", PERIOD.as_params())
        assert response.status_code == 200, name
        assert response["Content-Disposition"].startswith(f'attachment; filename="{name}-')
    assert client.get("/reports/nothing.csv").status_code == 404
    assert client.get("/reports/summary.csv", {"start": "x"}).status_code == 400


def test_every_role_reads_the_scoreboard_and_sales_see_their_own_beside_the_team(book, users):
    mine = won_lead("700", by=users["sales"])
    for role in ("csr", "sales", "marketing", "manager"):
        html = signed_in_client(users[role]).get("/reports/").content.decode()
        assert "Pipeline calculator" in html and "Won ÷ leads." in html, role
        assert ("Yours</th>" in html) == (role == "sales"), role
        assert "Upsell revenue" in html and "Average transaction with the upsell" in html, role
    assert selectors.summary(PERIOD, owner=users["sales"])["won"] == 1 and mine.pk


def test_a_bad_period_on_the_page_says_why_and_shows_the_default(users):
    html = (
        signed_in_client(users["csr"]).get("/reports/", {"start": "2026-05-01", "end": "2026-04-01"}).content.decode()
    )
    assert "The end comes before the start" in html and "Showing the last 90 days instead." in html


def test_the_page_refuses_a_close_rate_too_small_to_plan_with(users):
    client = signed_in_client(users["sales"])
    for path in ("/reports/", "/reports/calculator/"):
        response = client.get(path, {"target": "1000000", "close_rate_percent": "1e-300"})
        assert response.status_code == 200 and "from 0.0001" in response.content.decode(), path
    assert client.get("/reports/pipeline.csv", {"target": "1", "close_rate": "1e-20"}).status_code == 400


def test_the_calculator_shows_the_measured_close_rate_and_deal_as_the_summary_does(users):
    """One sale in three leads: the summary says 33.3%; the calculator's placeholder said 33."""
    won_lead("2000.50")
    LeadFactory(stage="inquiry")
    LeadFactory(stage="inquiry")
    client = signed_in_client(users["manager"])
    page = client.get("/reports/", PERIOD.as_params()).content.decode()
    summary = page.split('data-figure="close_ratio"')[1].split("</tr>")[0]
    assert ">33.3%\n</td>" in summary and 'placeholder="measured: 33.3%"' in page
    assert 'placeholder="measured: $2,000.50"' in page  # as the summary's average transaction
    result = client.get("/reports/calculator/", {"target": "1000000", **PERIOD.as_params()}).content.decode()
    assert "At a close rate of 33.3% (measured)" in result


def test_the_calculator_recalculates_from_what_is_typed(users):
    client = signed_in_client(users["sales"])
    html = client.get(
        "/reports/calculator/", {"target": "1000000", "close_rate_percent": "10", "avg_deal": "5000"}
    ).content.decode()
    assert "$10,000,000.00" in html and ">2000<" in html
    csv_link = html.split('data-testid="pipeline-csv"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    assert "pipeline_needed,10000000.00" in b"".join(client.get(csv_link).streaming_content).decode("utf-8-sig")
    html = client.get("/reports/calculator/", {"target": "1000000", "close_rate_percent": "ten"}).content.decode()
    assert "Give the close rate in percent" in html


def test_report_queries_are_few_and_do_not_grow_with_the_book(book, users):
    client = signed_in_client(users["marketing"])
    with CaptureQueriesContext(connection) as small:
        client.get("/api/v1/reports/summary/")
    for _ in range(20):
        won("10", cycle=3, utm_source="x")
    with CaptureQueriesContext(connection) as large:
        client.get("/api/v1/reports/summary/")
    assert len(large) == len(small) <= 10, [q["sql"][:80] for q in large]  # SQLite's medians take two each
    with CaptureQueriesContext(connection) as sources:
        client.get("/api/v1/reports/sources/", {"group": "placement"})
    assert len(sources) <= 8


def test_a_hot_lead_records_how_long_it_waited_for_our_first_call(users):
    from leads.services import log_interaction

    lead = LeadFactory()
    log_interaction(lead_id=lead.pk, kind="call_inbound")  # 50: warm
    log_interaction(lead_id=lead.pk, kind="answers", answers=[{"question": "timeline", "answer": "this_month"}])
    assert Lead.objects.get(pk=lead.pk).temperature == "hot"
    Lead.objects.filter(pk=lead.pk).update(first_hot_at=timezone.now() - timedelta(minutes=45))
    log_interaction(lead_id=lead.pk, kind="note", author=users["sales"])  # not a contact
    log_interaction(lead_id=lead.pk, kind="call_outbound", author=users["sales"])
    first = Lead.objects.get(pk=lead.pk).hot_response_seconds
    assert 45 * 60 <= first < 46 * 60
    log_interaction(lead_id=lead.pk, kind="call_outbound", author=users["sales"])
    assert Lead.objects.get(pk=lead.pk).hot_response_seconds == first  # the first response stays


def test_periods_include_their_last_day():
    assert Period(date(2026, 1, 1), date(2026, 1, 31)).days == 31


def test_a_quiet_week_is_a_zero_and_one_source_spelled_two_ways_is_one_rating(users):
    LeadFactory(utm_source="Radio")
    late = LeadFactory(utm_source="radio")
    Lead.objects.filter(pk=late.pk).update(inquired_at=timezone.now() - timedelta(days=21))
    for lead, rating in zip(Lead.objects.order_by("pk"), (1, 5), strict=True):
        LeadFeedback.objects.create(lead=lead, author=users["sales"], rating=rating, reason="r")
    weeks = selectors.weekly(PERIOD)
    assert len(weeks) >= 4 and sum(w.leads for w in weeks) == 2 and any(w.leads == 0 for w in weeks)
    from reports.sources import sources

    [radio] = [row for row in sources(PERIOD, "utm_source") if row["source"] == "radio"]
    assert (radio["leads"], radio["quality"]) == (2, 3.0)


def test_a_bought_name_joins_the_cohort_of_the_day_it_responded(users):
    from leads.services import log_interaction

    bought = LeadFactory(stage="list")
    Lead.objects.filter(pk=bought.pk).update(created_at=timezone.now() - timedelta(days=200))
    january = Period(TODAY - timedelta(days=210), TODAY - timedelta(days=190))
    assert selectors.summary(january)["leads"] == 0
    log_interaction(lead_id=bought.pk, kind="call_inbound")  # it calls in today
    assert selectors.summary(january)["leads"] == 0  # the old period does not move
    assert selectors.summary(PERIOD)["leads"] == 1


def test_the_response_time_counts_from_first_turning_hot_and_the_unanswered_are_counted(users):
    from leads.services import log_interaction

    lead = LeadFactory()
    log_interaction(lead_id=lead.pk, kind="call_inbound")
    log_interaction(lead_id=lead.pk, kind="answers", answers=[{"question": "timeline", "answer": "this_month"}])
    Lead.objects.filter(pk=lead.pk).update(first_hot_at=timezone.now() - timedelta(hours=3), hot_since=timezone.now())
    assert selectors.summary(PERIOD)["hot_unanswered"] == 1
    log_interaction(lead_id=lead.pk, kind="call_outbound", author=users["sales"])  # after a reassignment
    figures = selectors.summary(PERIOD)
    assert figures["hot_unanswered"] == 0 and 180 <= figures["median_hot_response_minutes"] < 181


def test_sources_by_bought_list_carry_its_price_and_what_it_earned(users):
    from imports.models import BoughtList

    bought = BoughtList.objects.create(name="Homeowners 2026", vendor="ListCo", price=Decimal("500.00"))
    won("1500", bought_list=bought)
    LeadFactory(bought_list=bought)
    LeadFactory(stage="list", bought_list=bought)  # never answered: not a lead of the period
    rows = signed_in_client(users["marketing"]).get("/api/v1/reports/sources/", {"group": "list"}).json()
    [row] = [r for r in rows if r["source"] == "Homeowners 2026 (ListCo)"]
    assert (row["leads"], row["won"], row["revenue"], row["cost"], row["roi"]) == (2, 1, "1500.00", "500.00", 2.0)
    assert row["cost_per_lead"] == "250.00"


def test_the_page_takes_the_calculators_measured_rates_from_the_summary_it_already_counted(book):
    from reports.sources import measured_rates, rates

    figures = selectors.summary(PERIOD)
    assert rates(figures["leads"], figures["won"], figures["revenue"]) == measured_rates(PERIOD)
