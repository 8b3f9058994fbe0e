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
