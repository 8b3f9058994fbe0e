"""Time, as the issue asks: delays counted in the company's calendar over daylight-saving
changes, a weekday window that moves a step later and never earlier (Mautic #14613), and the quiet
hours. The sweeps run at chosen moments (a year ahead, past the real now, so every enrolment is due)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from nurture import clock, services
from nurture.models import Enrolment
from outbox.models import Email
from tests.nurture.conftest import EMAIL, prospect, sequence, sweep

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS_9_TO_5 = {"weekdays": ["mon", "tue", "wed", "thu", "fri"], "from_hour": 9, "to_hour": 17}


@pytest.fixture(autouse=True)
def company_in_new_york(settings):
    settings.TIME_ZONE = "America/New_York"


def local(*args) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def test_two_days_over_the_autumn_change_end_at_the_same_wall_clock_time():
    friday = local(2027, 11, 5, 10, 0)  # EDT; clocks go back on Sunday 7 November at 02:00
    assert clock.wait_until({"days": 2}, friday) == local(2027, 11, 7, 10, 0)
    assert clock.wait_until({"days": 2}, friday) - friday == timedelta(hours=49)
    spring = local(2027, 3, 12, 10, 0)  # EST; clocks go forward on Sunday 14 March
    assert clock.wait_until({"days": 2}, spring) - spring == timedelta(hours=47)


def test_a_time_the_spring_change_skips_reads_as_the_hour_after():
    assert clock.wait_until({"days": 1}, local(2027, 3, 13, 2, 30)).astimezone(NEW_YORK).hour == 3


def test_a_weekday_window_moves_a_step_to_monday_morning_and_never_earlier_than_its_delay():
    friday_late = local(2027, 11, 5, 16, 30)
    step = {"days": 1, **WEEKDAYS_9_TO_5}
    assert clock.wait_until(step, friday_late) == local(2027, 11, 8, 9, 0)  # EST, after the change
    tuesday = local(2027, 11, 9, 10, 15)
    assert clock.wait_until(step, tuesday) == local(2027, 11, 10, 10, 15)  # inside the window: as it falls
    evening = local(2027, 11, 9, 20, 0)
    assert clock.wait_until(step, evening) == local(2027, 11, 11, 9, 0)
    for hour in range(24):
        start = local(2027, 11, 5, hour, 0)
        assert clock.wait_until(step, start) >= start + timedelta(hours=23)  # a day, less the autumn hour at most


def test_over_a_dst_weekend_with_a_weekday_window_the_next_email_goes_on_monday_at_nine_local():
    seq = sequence(
        [EMAIL, {"kind": "wait", "days": 1, **WEEKDAYS_9_TO_5}, {"kind": "email", "subject": "Two", "text": "2"}]
    )
    lead = prospect()
    services.enrol(sequence_id=seq.pk, lead_ids=[lead.pk])
    friday = local(2027, 11, 5, 16, 30)
    sweep(friday)
    enrolment = Enrolment.objects.get(lead=lead)
    assert enrolment.due_at == local(2027, 11, 8, 9, 0) == datetime(2027, 11, 8, 14, 0, tzinfo=UTC)
    sweep(local(2027, 11, 8, 8, 59))
    assert not Email.objects.filter(subject="Two").exists()
    sweep(local(2027, 11, 8, 9, 0))
    assert Email.objects.filter(subject="Two", to_address=lead.contact.email).count() == 1


def test_an_email_due_in_the_quiet_hours_waits_for_the_morning(settings):
    settings.CRM_NURTURE_QUIET_HOURS = (21, 8)
    seq = sequence([EMAIL])
    lead = prospect()
    services.enrol(sequence_id=seq.pk, lead_ids=[lead.pk])
    sweep(local(2027, 11, 9, 23, 0))
    assert not Email.objects.exists()
    assert Enrolment.objects.get(lead=lead).due_at == local(2027, 11, 10, 8, 0)
    sweep(local(2027, 11, 10, 8, 0))
    assert Email.objects.filter(to_address=lead.contact.email).count() == 1
