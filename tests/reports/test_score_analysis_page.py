"""The score analysis page (/reports/analysis/): for Marketing and Managers; each section with its
figures, their definitions and warnings; the buttons that write into the scoring draft or make a
segment, refused in words (409, 400) with nothing written; every table as CSV, in the API's
columns."""

import re
from html import unescape

import pytest

from campaigns.models import Campaign
from scoring.models import RuleSet, RuleSetStatus
from tests.factories import closed_lead, signed_in_client, won_lead
from tests.reports.score_book import DENTAL, score_book

pytestmark = pytest.mark.django_db
URL = "/reports/analysis/"


def text_of_fragment(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).strip()


def text_of(response) -> str:
    """The page's text, tags dropped and spaces squeezed, to read as a person does."""
    return text_of_fragment(response.content.decode())


@pytest.fixture
def small_book():
    """Five sales and three losses: too few to say anything."""
    for amount in ("1000", "2000", "3000", "4000", "5000"):
        won_lead(amount)
    for outcome in ("unclosed", "dead", "unclosed"):
        closed_lead(outcome)


@pytest.mark.parametrize("role", ["csr", "sales", "nobody"])
def test_the_page_its_buttons_and_its_downloads_are_for_marketing_and_managers_only(role, users):
    client = signed_in_client(users[role])
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}calibration.csv").status_code == 403
    for action in ("propose/", "profile-points/", "segment/"):
        assert client.post(f"{URL}{action}").status_code == 403
    assert not RuleSet.objects.filter(status=RuleSetStatus.DRAFT).exists()


def test_someone_signed_out_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("role", ["marketing", "manager"])
def test_marketing_and_managers_reach_it_from_the_nav_and_the_scoreboard(role, users):
    client = signed_in_client(users[role])
    assert client.get(URL).status_code == 200
    scoreboard = client.get("/reports/").content.decode()
    assert 'data-testid="analysis-link"' in scoreboard
    assert scoreboard.count(f'href="{URL}') >= 2  # the Marketing menu and the scoreboard's own link


def test_the_scoreboard_and_the_nav_do_not_offer_it_to_a_csr(users):
    assert URL not in signed_in_client(users["csr"]).get("/reports/").content.decode()


def test_with_too_few_outcomes_every_section_says_so_and_offers_no_suggestion(users, small_book):
    response = signed_in_client(users["marketing"]).get(URL)
    assert response.status_code == 200
    page = text_of(response)
    for heading in ("Calibration", "Consistency between CSRs", "What each rule is worth", "The ideal customer profile"):
        assert heading in page
    assert "Only 8 leads reached an outcome in the period: at least 50 are needed" in page
    assert "No suggestion is offered: at least 50 outcomes are needed to suggest points, and the period has 8." in page
    assert "Propose as a draft" not in page
    # Each figure has its definition beside it.
    assert "What the figures mean" in page and "The 95 % Wilson interval of the close rate" in page
    assert "Close rate with ÷ close rate without" in page and "top_share ÷ all_share" in page
    assert "How points are suggested" in page and "shrunken log odds" in page
    # The calibration table: every decile, the 60–69 band holding all eight (each sales-ready at 60).
    assert re.search(r"60–69 8 5 62\.5% \d+(\.\d)?%–\d+(\.\d)?%", page), page


def test_a_planted_book_shows_what_was_planted(users, django_assert_max_num_queries):
    planted = score_book()
    client = signed_in_client(users["manager"])
    with django_assert_max_num_queries(40):  # a few per figure, whatever the size of the book
        response = client.get(URL)
    assert response.status_code == 200
    page = text_of(response)
    body = response.content.decode()
    # Calibration: the approved budgets (75) close more than the planned ones (65), in words and picture.
    assert f"{planted['outcomes']} outcomes" in page
    assert re.search(r"a won lead outscored a lost one \d+ % of the time \(\d+–\d+ %\)", page)
    assert 'data-testid="reliability-chart"' in body and 'class="whisker"' in body
    # Consistency: yves, who answers "Yes, approved" three times in four, is flagged and says why.
    budget = body[body.index('data-testid="raters-budget"') :]
    budget = budget[: budget.index("</table>")]
    flagged = re.findall(r'<tr class="flagged" data-rater="(\w+)"', budget)
    assert flagged == ["yves"], flagged
    why = r"Why yves is flagged: Answers 'Yes, approved' on 75% of their 24 answers where comparable leads get 25%"
    assert re.search(why, text_of_fragment(budget))
    # The rules: the approved budget lifts the close rate, and points are suggested for it.
    rule = body[body.index('data-rule="answer.budget.approved"') :]
    rule = text_of_fragment(rule[: rule.index("</tr>")])
    assert re.search(r"Is there a budget set aside\? Yes, approved answer 30 \d+(\.\d)?% \d+(\.\d)?% ×\d", rule), rule
    assert "Propose as a draft" in page
    # The profile card: dental practices, over-represented among the best customers.
    card = body[body.index('data-testid="profile-card"') :]
    assert DENTAL in text_of_fragment(card[: card.index("</dl>")])
    assert "Use as profile-fit points" in page and "Save as a segment" in page


def test_the_buttons_write_the_draft_and_the_segment_and_say_so(users):
    score_book()
    client = signed_in_client(users["marketing"])
    settings = {"top_percent": "20", "by": "contact"}

    proposed = client.post(f"{URL}propose/", settings, follow=True)
    assert proposed.redirect_chain[-1][0] == "/scoring/"
    assert "The draft holds the points the outcomes suggest" in text_of(proposed)
    draft = RuleSet.objects.get(status=RuleSetStatus.DRAFT)
    budget = next(q for q in draft.definition["questions"] if q["key"] == "budget")
    approved = next(option for option in budget["options"] if option["key"] == "approved")
    assert approved["points"] != 15  # the published 15, replaced by what the outcomes say

    profiled = client.post(f"{URL}profile-points/", settings, follow=True)
    assert profiled.redirect_chain[-1][0] == "/scoring/"
    assert "The draft holds the ideal customer profile's points" in text_of(profiled)
    profile = {rule["key"]: rule for rule in RuleSet.objects.get(status=RuleSetStatus.DRAFT).definition["profile"]}
    assert profile["icp_industry_code"]["values"] == [DENTAL]

    saved = client.post(f"{URL}segment/", settings, follow=True)
    campaign = Campaign.objects.get(name__startswith="Look-alikes of our best customers")
    assert saved.redirect_chain[-1][0] == f"/campaigns/{campaign.pk}/"
    assert campaign.segment["industry_codes"] == [DENTAL]
    assert "Saved as the segment of the campaign" in text_of(saved)


def test_proposing_with_too_few_outcomes_is_refused_409_and_writes_nothing(users, small_book):
    response = signed_in_client(users["manager"]).post(f"{URL}propose/")
    assert response.status_code == 409
    assert "too few outcomes: 8, at least 50" in text_of(response)
    assert 'data-testid="rules-refused"' in response.content.decode()
    assert not RuleSet.objects.filter(status=RuleSetStatus.DRAFT).exists()


@pytest.mark.parametrize("typed", ["70", "0", "abc", "nan"])
def test_a_top_share_outside_1_to_50_percent_is_a_400_with_the_message(users, small_book, typed):
    client = signed_in_client(users["marketing"])
    response = client.get(URL, {"top_percent": typed})
    assert response.status_code == 400
    page = text_of(response)
    assert "Give the share of best customers in percent, from 1 to 50 (e.g. 20)." in page
    assert f'value="{typed}"' in response.content.decode()  # shown back as typed
    assert "Calibration" in page  # the rest of the page still stands

    for action in ("segment/", "profile-points/"):
        refused = client.post(f"{URL}{action}", {"top_percent": typed})
        assert refused.status_code == 400
        assert "Nothing was written: correct the settings first." in text_of(refused)
    assert not Campaign.objects.exists()
    assert not RuleSet.objects.filter(status=RuleSetStatus.DRAFT).exists()


def test_bad_settings_are_a_400_with_the_message_and_the_defaults_shown(users):
    response = signed_in_client(users["marketing"]).get(URL, {"start": "2026-13-01", "bands": "tenths", "by": "x"})
    assert response.status_code == 400
    page = text_of(response)
    assert "Give a date as YYYY-MM-DD. Showing the last 90 days instead." in page
    assert "Band by deciles, quintiles, temperature." in page
    assert "Rank contacts or companies." in page


def test_saving_a_segment_when_nothing_stands_out_is_refused_409_and_makes_no_campaign(users, small_book):
    page = signed_in_client(users["marketing"]).get(URL)
    assert "Save as a segment" not in text_of(page)  # not offered
    response = signed_in_client(users["marketing"]).post(f"{URL}segment/", {"top_percent": "20", "by": "contact"})
    assert response.status_code == 409
    assert "so there is no look-alike to look for" in text_of(response)
    assert 'data-testid="icp-refused"' in response.content.decode()
    assert not Campaign.objects.exists()


def test_ranked_by_company_the_sales_of_contacts_without_one_are_said_to_be_left_out(users, small_book):
    response = signed_in_client(users["marketing"]).get(URL, {"by": "company"})
    assert response.status_code == 200
    page = text_of(response)
    warnings = page[page.index("The ideal customer profile") :]
    assert re.search(r"Read with care .*no company.* left out", warnings)
    assert "No customer had a won sale closed in the period" in warnings
    assert 'value="company" selected' in response.content.decode()


def test_the_bands_and_the_moment_are_chosen_on_the_page(users, small_book):
    response = signed_in_client(users["marketing"]).get(URL, {"bands": "temperature", "at": "inquiry"})
    assert response.status_code == 200
    page = text_of(response)
    assert re.search(r"Band Leads Won Close rate 95 % interval cold \d+ \d+", page)
    assert "warm" in page and "hot" in page and "60–69" not in page


API = {
    "calibration": "/api/v1/reports/calibration/",
    "raters": "/api/v1/reports/raters/",
    "rules": "/api/v1/reports/rules/",
    "icp": "/api/v1/reports/icp/",
}


@pytest.mark.parametrize("name", list(API))
def test_each_table_downloads_as_csv_in_the_apis_columns(users, small_book, api_as, name):
    response = signed_in_client(users["marketing"]).get(f"{URL}{name}.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    day = r"\d{4}-\d{2}-\d{2}"
    assert re.fullmatch(f'attachment; filename="{name}-{day}-{day}\\.csv"', response["Content-Disposition"])
    lines = b"".join(response.streaming_content).decode().lstrip("\ufeff").splitlines()
    from_api = api_as(users["marketing"]).get(API[name], {"format": "csv"}).content.decode().lstrip("\ufeff")
    assert lines[0] == from_api.splitlines()[0]
    assert lines == from_api.splitlines()


def test_the_page_links_each_table_with_its_settings(users, small_book):
    body = signed_in_client(users["marketing"]).get(URL, {"bands": "quintiles", "top_percent": "10"}).content.decode()
    period = r'href="/reports/analysis/(\w+)\.csv\?start=[\d-]+&amp;end=[\d-]+'
    assert re.search(rf"{period}&amp;at=sales_ready&amp;bands=quintiles\"", body).group(1) == "calibration"
    assert re.search(rf"{period}&amp;top=0\.1&amp;by=contact\"", body).group(1) == "icp"
    for name in ("raters", "rules"):
        assert f'href="/reports/analysis/{name}.csv?start=' in body


def test_a_download_with_bad_settings_is_a_400_and_an_unknown_table_a_404(users):
    client = signed_in_client(users["marketing"])
    refused = client.get(f"{URL}icp.csv", {"top": "0.7"})
    assert refused.status_code == 400 and "from 0.01 to 0.5" in refused.content.decode()
    assert client.get(f"{URL}calibration.csv", {"bands": "tenths"}).status_code == 400
    assert client.get(f"{URL}summary.csv").status_code == 404
