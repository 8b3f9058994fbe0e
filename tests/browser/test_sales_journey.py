"""A salesperson's journey in a real browser: claim the next lead, call them, close it won."""

import re

import pytest
from playwright.sync_api import Page, expect

from leads.models import Lead
from tests.factories import DEMO_PASSWORD, ContactFactory, make_user, sales_ready_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FACTS = {"inquiry_reason": "Furnace is 20 years old and noisy", "desired_outcome": "Lower heating bills"}


def test_salesperson_claims_the_next_lead_calls_and_closes_it_won(live_server, page: Page):
    rep = make_user("rep_on_duty", "sales")
    sales_ready_lead(**FACTS)  # 60, warm
    hottest = sales_ready_lead(
        {"timeline": "this_month"}, contact=ContactFactory(first_name="Sofia", last_name="Morales"), **FACTS
    )  # 80, hot

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("rep_on_duty")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="My queue").click()
    pool = page.get_by_test_id("pool")
    expect(pool.locator("tbody tr").first).to_contain_text("Sofia Morales")  # hottest first

    page.get_by_role("button", name="Claim the next lead").click()
    expect(page).to_have_url(re.compile(rf"/leads/{hottest.pk}/$"))
    expect(page.get_by_text("Sofia Morales is yours now")).to_be_visible()
    # Why they inquired and what they want come before anything else.
    about = page.get_by_role("region", name="About this lead")
    expect(about.get_by_text("Furnace is 20 years old and noisy")).to_be_visible()

    page.get_by_label("Kind").select_option("call_outbound")
    page.get_by_label("Note").fill("Booked the install for Tuesday.")
    page.get_by_role("button", name="Log it").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("Outbound call by rep_on_duty")

    page.get_by_label("Outcome").select_option("won")
    page.get_by_label("Amount (won)").fill("6400")
    page.get_by_label("Upsell accepted").check()
    page.get_by_label("Of which the upsell (won)").fill("$480")
    page.get_by_role("button", name="Close", exact=True).click()
    expect(page.get_by_text("Closed: won.")).to_be_visible()
    expect(page.get_by_test_id("score")).to_have_text("100")
    expect(page.get_by_text("Won: $6,400.00, of which $480.00 from the upsell.")).to_be_visible()

    lead = Lead.objects.get(pk=hottest.pk)
    assert (lead.stage, lead.owner, str(lead.won_amount), lead.upsell_accepted) == ("won", rep, "6400.00", True)
    assert str(lead.upsell_amount) == "480.00"
