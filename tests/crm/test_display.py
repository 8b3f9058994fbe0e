"""Numbers and times read the same on every page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.templatetags.display import money, when


def test_money_carries_the_configured_currency(settings):
    settings.CRM_CURRENCY = "USD"
    assert money(Decimal("1234.5")) == "$1,234.50"
    settings.CRM_CURRENCY = "EUR"
    assert money(12) == "€12.00"
    settings.CRM_CURRENCY = "CHF"
    assert money("-3") == "−3.00 CHF"
    assert money(None) == ""


def test_times_read_relative_with_the_exact_time_on_hover(settings):
    settings.TIME_ZONE = "UTC"
    past = timezone.now() - timedelta(hours=3, minutes=5)
    html = str(when(past))
    assert html.startswith(f'<time datetime="{past.isoformat()}" title="') and ">3\xa0hours ago</time>" in html
    assert ">in 2\xa0days</time>" in str(when(timezone.now() + timedelta(days=2, hours=1)))
    assert ">just now</time>" in str(when(timezone.now()))
    assert when(None) == "—"


@pytest.mark.django_db
def test_sources_read_as_people_say_them_on_the_feedback_report(users):
    from leads.models import LeadFeedback
    from tests.factories import LeadFactory, client_for

    LeadFeedback.objects.create(lead=LeadFactory(source="web_form"), author=users["sales"], rating=4, reason="ok")
    LeadFeedback.objects.create(lead=LeadFactory(source="a_new_thing"), author=users["sales"], rating=2, reason="no")
    page = client_for(users["marketing"]).get("/feedback/").content.decode()
    assert "<td>Web form</td>" in page and "<td>a_new_thing</td>" in page


def test_phones_read_as_people_write_them_and_dial_the_stored_number(settings):
    from crm.templatetags.display import phone, phone_link

    settings.CRM_DEFAULT_PHONE_REGION = "US"
    assert phone("+16175550142") == "(617) 555-0142"  # the default region: its national format
    assert phone("+442079460958") == "+44 20 7946 0958"  # elsewhere: international
    assert phone("+33142685300") == "+33 1 42 68 53 00"
    assert phone("") == "" and phone(None, "—") == "—"
    assert phone("call reception") == "call reception"  # not a number: shown as it is
    assert str(phone_link("+16175550142")) == '<a href="tel:+16175550142" class="tel">(617) 555-0142</a>'
    assert str(phone_link("+442079460958")) == '<a href="tel:+442079460958" class="tel">+44 20 7946 0958</a>'
    settings.CRM_DEFAULT_PHONE_REGION = "GB"
    assert phone("+442079460958") == "020 7946 0958"
    assert phone("+16175550142") == "+1 617-555-0142"


def test_a_time_a_decision_hangs_on_is_written_in_full_in_the_users_zone(settings):
    from zoneinfo import ZoneInfo

    from crm.templatetags.display import in_full

    settings.TIME_ZONE = "UTC"
    due = (timezone.now() + timedelta(days=2)).replace(hour=15, minute=0, second=0, microsecond=0)
    with timezone.override(ZoneInfo("America/New_York")):
        html = str(in_full(due))
    local = due.astimezone(ZoneInfo("America/New_York"))
    year = "" if local.year == timezone.now().astimezone(local.tzinfo).year else f" {local.year}"
    assert f">{local:%a} {local.day} {local:%b}{year}, {local:%H:%M} (in " in html
    assert local.hour in (10, 11) and f'datetime="{due.isoformat()}"' in html
    assert in_full(None) == "—"
