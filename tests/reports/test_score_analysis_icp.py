"""The ideal customer profile, honest by construction: books of customers made through the close
service, with an effect planted (one industry brings three times the revenue), and the figures
expected to find it, or to say there is nothing to find."""

import math
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.selectors import in_segment
from config.errors import Conflict
from leads.kinds import Stage
from leads.models import Lead
from reports.analysis import icp
from reports.periods import Period
from tests.factories import CompanyFactory, ContactFactory, LeadFactory, closed_lead, live_offer, won_lead

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/icp/"
SEGMENT_URL = "/api/v1/reports/icp/segment/"
TODAY = timezone.localdate()
PERIOD = Period(TODAY - timedelta(days=29), TODAY)
EMPTY = {"start": "2001-01-01", "end": "2001-01-31"}

REMODELERS, PLUMBERS, ELECTRICIANS = "236118", "238220", "238210"


def customer(amount, *, industry=PLUMBERS, company=None, **lead_fields):
    """A contact (of `company`, else a new one in `industry`) who bought for `amount`."""
    company = company or CompanyFactory(industry_code=industry, size_band="10-49", region="OH", postal_code="43004")
    return won_lead(amount, contact=ContactFactory(company=company, title="Owner"), **lead_fields)


def planted_book():
    """100 customers: 30 remodelers whose sales are three times the others' (the same draw of
    500–1,500 each, times three), 35 plumbers, 35 electricians; sizes, regions and titles
    alternate with no bearing on revenue. Then 3 remodelers who did not buy, and 37 inquiries
    (7 of them remodelers), so the period holds 140 leads, 40 of them remodelers."""
    rng = random.Random(20)
    industries = [REMODELERS] * 30 + [PLUMBERS] * 35 + [ELECTRICIANS] * 35
    for index, industry in enumerate(industries):
        base = rng.randint(500, 1500)
        company = CompanyFactory(
            industry_code=industry,
            size_band=("10-49", "50-249")[index % 2],
            region=("OH", "PA", "MI")[index % 3],
            postal_code=f"4{index % 4}001",
        )
        title = ("Owner", "Office manager")[index % 2]
        won_lead(base * 3 if industry == REMODELERS else base, contact=ContactFactory(company=company, title=title))
    for _ in range(3):
        closed_lead(Stage.DEAD, contact=ContactFactory(company=CompanyFactory(industry_code=REMODELERS)))
    for index in range(37):
        industry = REMODELERS if index < 7 else PLUMBERS
        LeadFactory(contact=ContactFactory(company=CompanyFactory(industry_code=industry)))


def test_each_values_share_among_leads_is_the_count_of_the_periods_leads_holding_it():
    """The leads' counts come from the cohort rollups (every day counted live before a refresh,
    stored rows after one): each equals the trait counted on its own, for every trait and value
    shown, either way."""
    from django.db.models import Count

    from reports import rollups
    from reports.selectors import cohort

    planted_book()
    leads = cohort(PERIOD)
    n_leads = leads.count()
    assert n_leads == 140
    for refreshed in (False, True):
        if refreshed:
            assert rollups.refresh_all() > 0
        answer = icp.icp(PERIOD, top=0.2)
        checked = 0
        for trait in icp.TRAITS:
            direct = dict(
                leads.annotate(value=trait.expression).values("value").annotate(n=Count("id")).values_list("value", "n")
            )
            for row in answer["traits"]:
                if row["field"] == trait.field:
                    value = "" if row["value"] in (None, trait.blank) else row["value"]
                    assert row["lead_share"] == round(direct.get(value, 0) / n_leads, 4), (trait.field, value)
                    checked += 1
        assert checked >= 15  # three industries, two sizes and titles, three regions, four postal areas, ...


def rows(answer, field):
    return {row["value"]: row for row in answer["traits"] if row["field"] == field}


def test_an_industry_bringing_three_times_the_revenue_is_the_profile(api_as, users):
    planted_book()
    answer = api_as(users["marketing"]).get(URL, {**PERIOD.as_params(), "top": "0.2"}).json()
    assert (answer["customers"], answer["top_customers"]) == (100, 20)
    industries = rows(answer, "industry_code")
    remodelers = industries[REMODELERS]
    assert (remodelers["top_customers"], remodelers["customers"]) == (20, 30)  # every one of the best
    assert (remodelers["top_share"], remodelers["all_share"]) == (1.0, 0.3)
    assert remodelers["lead_share"] == round(40 / 140, 4)
    assert remodelers["lift"] == pytest.approx(1 / 0.3, abs=1e-3)
    assert remodelers["ci_low"] > 1 and remodelers["over_represented"]
    assert remodelers["ci_low"] <= remodelers["lift"] <= remodelers["ci_high"]
    for other in (PLUMBERS, ELECTRICIANS):
        assert not industries.get(other, {"over_represented": False})["over_represented"]
    # What alternates with no bearing on revenue is not called over-represented.
    assert not any(row["over_represented"] for row in answer["traits"] if row["field"] in ("size_band", "title"))
    assert not any("shaky" in warning for warning in answer["warnings"])
    sizes = {row["segment"]: row for row in answer["segments"]["size"]}
    assert sizes["small"]["customers"] + sizes["medium"]["customers"] == 100
    assert sizes["small"]["top_customers"] + sizes["medium"]["top_customers"] == 20
    assert [row["customers"] for row in answer["segments"]["breadth"]] == [100, 0]  # one offering (none) each
    assert answer["personas"] and {row["value"] for row in answer["personas"]} <= {"owner", "office manager"}

    rules = icp.profile_rules(PERIOD, top=0.2)
    industry_rule = next(rule for rule in rules if rule["key"] == "icp_industry_code")
    assert industry_rule["values"] == [REMODELERS] and industry_rule["field"] == "industry_code"
    assert industry_rule["points"] == round(15 * 1.2040) == 18  # 15 × ln(3.33)
    assert industry_rule["match"] == "exact" and industry_rule["label"] == "Like our best customers: industry"
    from scoring.definition import _Errors, _parse_profile

    errors = _Errors()
    _parse_profile(rules, errors)
    assert not errors.errors  # the scoring draft takes them as they are

    csv = api_as(users["manager"]).get(URL, {**PERIOD.as_params(), "format": "csv"})
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "field,value,top_customers,customers,top_share,all_share,lead_share,lift,ci_low,ci_high"
    assert any(line.startswith(f"industry_code,{REMODELERS},20,30,1.0,0.3,") for line in lines)

    # "Save as a segment": a campaign that finds a new prospect from the remodelers, not a plumber.
    response = api_as(users["marketing"]).post(SEGMENT_URL, {**PERIOD.as_params(), "top": 0.2}, format="json")
    assert response.status_code == 201, response.content
    campaign = Campaign.objects.get(pk=response.json()["campaign"])
    assert campaign.segment == response.json()["segment"] == {"industry_codes": [REMODELERS]}
    assert campaign.name.startswith("Look-alikes of our best customers (top 20 %")
    prospect = LeadFactory(contact=ContactFactory(company=CompanyFactory(industry_code=REMODELERS)))
    other = LeadFactory(contact=ContactFactory(company=CompanyFactory(industry_code=PLUMBERS)))
    found = set(in_segment(Lead.objects.filter(stage=Stage.INQUIRY), campaign.segment).values_list("pk", flat=True))
    assert prospect.pk in found and other.pk not in found


def test_ties_at_the_threshold_are_among_the_best_and_a_company_sums_its_contacts(api_as, users):
    shared = CompanyFactory(industry_code=REMODELERS)
    customer(600, company=shared)
    customer(600, company=shared)  # the company's 1,200 beats every single customer's 1,000
    for _ in range(3):
        customer(1000)
    customer(200)
    by_contact = icp.icp(PERIOD, top=0.2, by="contact")  # 6 customers: 2 wanted, 3 tie at 1,000
    assert (by_contact["customers"], by_contact["top_customers"], by_contact["threshold"]) == (6, 3, "1000.00")
    assert by_contact["revenue"] == "4400.00" and by_contact["top_revenue"] == "3000.00"
    assert any("tie at the threshold" in warning for warning in by_contact["warnings"])
    assert any("shaky" in warning for warning in by_contact["warnings"])  # 3 best customers
    by_company = icp.icp(PERIOD, top=0.2, by="company")  # 5 companies: 1 wanted
    assert (by_company["customers"], by_company["top_customers"], by_company["threshold"]) == (5, 1, "1200.00")
    assert rows(by_company, "industry_code")[REMODELERS]["top_customers"] == 1
    assert rows(by_company, "title")["owner"]["customers"] == 5  # a company counted once for its two owners


@pytest.mark.parametrize(
    ("top", "customers", "wanted"),
    [
        (0.2, 100, 20),
        (1.8 / 100, 500, 9),  # the page's 1.8 %: 0.018000000000000002, which a float would make 10
        (33.3 / 100, 1200, 400),  # 0.33299999999999996: as a decimal, a numerator past a bigint
        (1 / 3, 3000, 1000),
        (0.07, 100, 7),  # 7.000000000000001 as floats
        (0.123456, 1_000_000, 123_456),
    ],
)
def test_how_many_best_customers_a_share_asks_for_is_never_off_by_a_floats_last_digit(top, customers, wanted):
    share = icp.share_fraction(top)
    assert math.ceil(share * customers) == wanted
    assert share.numerator * customers < 2**63  # the database's whole-number arithmetic stays in a bigint


def test_revenues_are_compared_to_the_cent_wherever_they_are_summed():
    """0.10 + 0.70 is 0.7999999999999999 as floats (SQLite sums amounts so): the customer's revenue
    is 0.80, among the best, in the summary and in every trait alike."""
    contact = ContactFactory(company=CompanyFactory(industry_code=REMODELERS), title="Owner")
    won_lead(Decimal("0.10"), contact=contact)
    won_lead(Decimal("0.70"), contact=contact)
    won_lead(Decimal("0.50"), contact=ContactFactory(company=CompanyFactory(industry_code=PLUMBERS), title="Owner"))
    answer = icp.icp(PERIOD, top=0.5)
    assert (answer["top_customers"], answer["threshold"], answer["top_revenue"]) == (1, "0.80", "0.80")
    assert rows(answer, "industry_code")[REMODELERS]["top_customers"] == 1
    assert rows(answer, "industry_code")[PLUMBERS]["top_customers"] == 0


def test_sales_with_no_company_are_left_out_when_ranking_companies_and_said_to_be():
    customer(1000)
    customer(500)
    won_lead(700, contact=ContactFactory(company=None))
    by_company = icp.icp(PERIOD, top=0.5, by="company")
    assert (by_company["customers"], by_company["revenue"], by_company["top_customers"]) == (2, "1500.00", 1)
    assert any("no company behind them (1)" in warning for warning in by_company["warnings"])
    by_contact = icp.icp(PERIOD, top=0.5, by="contact")  # 3 customers: ceil(1.5) = 2 wanted
    assert (by_contact["customers"], by_contact["revenue"], by_contact["top_customers"]) == (3, "2200.00", 2)
    assert by_contact["threshold"] == "700.00"
    assert not any("no company" in warning for warning in by_contact["warnings"])


def test_products_bought_upsells_and_breadth_are_counted_per_customer(api_as, users):
    big, small = live_offer("BIG"), live_offer("SMALL", campaign="Small")
    company = CompanyFactory(industry_code=REMODELERS)
    contact = ContactFactory(company=company)
    won_lead(5000, contact=contact, offer=big, upsell_accepted=True)
    won_lead(1000, contact=contact, offer=small)  # the best customer bought both offerings
    for amount in (900, 800, 700, 600):
        customer(amount, offer=small)
    customer(500)  # no offer
    answer = icp.icp(PERIOD, top=0.2, by="contact")  # 6 customers: 2 are the best (6,000 and 900)
    assert (answer["customers"], answer["top_customers"]) == (6, 2)
    products = rows(answer, "product")
    assert (products["BIG"]["top_customers"], products["BIG"]["customers"]) == (1, 1)
    assert (products["SMALL"]["top_customers"], products["SMALL"]["customers"]) == (2, 5)
    assert products["no offer"]["customers"] == 1 and products["no offer"]["top_customers"] == 0
    upsell = rows(answer, "upsell_accepted")
    assert (upsell["yes"]["top_customers"], upsell["yes"]["customers"]) == (1, 1)
    assert (upsell["no"]["top_customers"], upsell["no"]["customers"]) == (1, 5)
    assert upsell["yes"]["lead_share"] is None
    breadth = {row["segment"]: row for row in answer["segments"]["breadth"]}
    assert (breadth["several offerings"]["top_customers"], breadth["several offerings"]["customers"]) == (1, 1)
    assert (breadth["one offering"]["top_customers"], breadth["one offering"]["customers"]) == (1, 5)
    assert rows(answer, "postal_area")["430"]["customers"] == 5


def test_the_profile_is_drawn_in_a_bounded_number_of_queries(django_assert_max_num_queries):
    for amount in (300, 200, 100):
        customer(amount)
    with django_assert_max_num_queries(30):
        icp.icp(PERIOD, top=0.5, by="company")


@pytest.mark.parametrize("top", ["0", "0.7", "abc", "nan", "-0.2"])
def test_a_top_share_outside_1_to_50_percent_is_a_clear_400(api_as, users, top):
    response = api_as(users["manager"]).get(URL, {"top": top})
    assert response.status_code == 400
    assert "from 0.01 to 0.5 (1–50 %)" in response.json()["top"][0]
    response = api_as(users["manager"]).post(SEGMENT_URL, {"top": top}, format="json")
    assert response.status_code == 400 and "top" in response.json()


def test_a_grouping_other_than_contact_or_company_is_a_400(api_as, users):
    response = api_as(users["marketing"]).get(URL, {"by": "team", "format": "csv"})
    assert response.status_code == 400 and response.json() == {"by": ["Rank customers by contact or company."]}


def test_a_period_with_no_customers_says_so_and_offers_nothing(api_as, users):
    customer(1000)  # this month's, not the empty period's
    client = api_as(users["marketing"])
    answer = client.get(URL, EMPTY).json()
    assert (answer["customers"], answer["top_customers"], answer["traits"]) == (0, 0, [])
    assert "No customer had a won sale closed in the period" in answer["warnings"][0]
    assert client.get(URL, {**EMPTY, "format": "csv"}).content.decode().strip().count("\n") == 0  # the header
    assert icp.profile_rules(Period(date(2001, 1, 1), date(2001, 1, 31))) == []
    response = client.post(SEGMENT_URL, EMPTY, format="json")
    assert response.status_code == 409 and "no look-alike" in response.json()["detail"]
    assert not Campaign.objects.filter(name__startswith="Look-alikes").exists()


def test_customers_with_no_revenue_at_all_give_a_warning_not_a_profile(api_as, users):
    for _ in range(3):
        customer(0)
    answer = api_as(users["manager"]).get(URL).json()
    assert (answer["customers"], answer["traits"], answer["threshold"]) == (3, [], None)
    assert any("brought no revenue at all" in warning for warning in answer["warnings"])
    with pytest.raises(Conflict):
        icp.save_segment(PERIOD, top=0.2, by="company", user=users["manager"])


def test_fewer_paying_customers_than_the_top_share_asks_for_are_the_best_and_said_to_be(api_as, users):
    for _ in range(4):
        customer(0)
    customer(1000, industry=REMODELERS)
    answer = api_as(users["marketing"]).get(URL, {"top": "0.5"}).json()  # 3 wanted, 1 paid anything
    assert (answer["customers"], answer["top_customers"], answer["threshold"]) == (5, 1, "1000.00")
    assert any("Only 1 of the 5 customers brought any revenue" in warning for warning in answer["warnings"])
    assert rows(answer, "industry_code")[REMODELERS]["top_customers"] == 1


def test_a_few_customers_get_the_shaky_warning_and_no_rule_from_noise(api_as, users):
    customer(5000, industry=REMODELERS)
    for amount in (1000, 900, 800, 700):
        customer(amount)
    answer = api_as(users["marketing"]).get(URL, {"top": "0.2"}).json()
    assert answer["top_customers"] == 1
    assert any("lifts are shaky" in warning for warning in answer["warnings"])
    remodelers = rows(answer, "industry_code")[REMODELERS]
    assert remodelers["lift"] == 5.0 and not remodelers["over_represented"]  # 1 of 1 against 1 of 5: noise
    assert icp.profile_rules(PERIOD, top=0.2) == []


@pytest.mark.parametrize("role", ["csr", "sales"])
def test_csr_and_sales_may_not_see_or_save_the_profile(api_as, users, role):
    assert api_as(users[role]).get(URL).status_code == 403
    assert api_as(users[role]).post(SEGMENT_URL, {}, format="json").status_code == 403
