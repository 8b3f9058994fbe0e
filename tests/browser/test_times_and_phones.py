"""Times in the user's own zone and phones as people write them, in a real browser (issue 17,
item 7): a New York CSR reads a callback due at 15:00 UTC at New York's hour, dials the caller
from a formatted `tel:` link, and moves to Paris time from My settings in the top bar."""

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from crm.services import set_time_zone
from followups import services as followups
from tests.browser.steps import log_in
from tests.factories import ContactFactory, LeadFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def hour_in(moment, zone: str) -> str:
    return f"{moment.astimezone(ZoneInfo(zone)):%H:%M}"


def test_a_csr_reads_times_in_their_zone_and_dials_a_formatted_phone(live_server, page: Page):
    csr = make_user("nyc", "csr")
    set_time_zone(user_id=csr.pk, time_zone="America/New_York")
    lead = LeadFactory(contact=ContactFactory(first_name="Dana", last_name="Whitaker", phone="+16175550142"))
    due = (timezone.now() + timedelta(days=3)).astimezone(UTC).replace(hour=15, minute=0, second=0, microsecond=0)
    followups.schedule_callback(lead_id=lead.pk, due_at=due, by=csr, note="The quote")

    log_in(page, live_server, "nyc")
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    phone = page.locator(".lead-head").get_by_role("link", name="(617) 555-0142")
    expect(phone).to_have_attribute("href", "tel:+16175550142")
    followup_list = page.locator("#lead-followups .followup-list")
    expect(followup_list).to_contain_text(f"{hour_in(due, 'America/New_York')} (in ")  # 10:00 or 11:00 (DST)
    expect(followup_list).not_to_contain_text("15:00")

    page.get_by_role("link", name="nyc (my settings)").click()  # their name in the top bar
    page.get_by_label("Time zone").select_option("Europe/Paris")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved: times now show in Europe/Paris.")
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    expect(page.locator("#lead-followups .followup-list")).to_contain_text(f"{hour_in(due, 'Europe/Paris')} (in ")
