"""Each user reads times in their own time zone and types them in it (issue 17, item 7): the zone
is kept per user (crm.StaffProfile), chosen on My settings, by a manager in the admin or by
`create_user --time-zone`, activated on every page (crm.middleware) and given by the me endpoint."""

from datetime import UTC, date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from crm.models import StaffProfile
from crm.services import set_time_zone
from crm.zones import zone_of
from followups import services as followups
from followups.models import FollowUp
from tests.factories import ContactFactory, LeadFactory, client_for, signed_in_client

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


def in_full(moment: datetime, zone: ZoneInfo) -> str:
    """How a page writes a time a decision hangs on, in `zone`: "Tue 8 Dec, 10:00"."""
    local = moment.astimezone(zone)
    text = f"{local:%a} {local.day} {local:%b}"
    if local.year != timezone.now().astimezone(zone).year:
        text += f" {local.year}"
    return f"{text}, {local:%H:%M}"


def three_days_ahead_at_15_utc() -> datetime:
    return (timezone.now() + timedelta(days=3)).astimezone(UTC).replace(hour=15, minute=0, second=0, microsecond=0)


def test_me_gives_the_company_zone_until_the_user_chooses_theirs(users, api_as, settings):
    settings.TIME_ZONE = "Europe/London"
    me = api_as(users["csr"]).get("/api/v1/auth/me/")
    assert me.status_code == 200 and me.json()["time_zone"] == "Europe/London"
    set_time_zone(user_id=users["csr"].pk, time_zone="America/New_York")
    assert api_as(users["csr"]).get("/api/v1/auth/me/").json()["time_zone"] == "America/New_York"
    set_time_zone(user_id=users["csr"].pk, time_zone="")  # back to the company's
    assert api_as(users["csr"]).get("/api/v1/auth/me/").json()["time_zone"] == "Europe/London"


def test_an_unknown_zone_is_refused_and_changes_nothing(users):
    set_time_zone(user_id=users["csr"].pk, time_zone="Asia/Tokyo")
    for bad in ("Mars/Olympus_Mons", "EST5EDT", "america/new_york"):
        with pytest.raises(Exception, match="Unknown time zone"):
            set_time_zone(user_id=users["csr"].pk, time_zone=bad)
    assert StaffProfile.objects.get(user=users["csr"]).time_zone == "Asia/Tokyo"


def test_a_user_in_new_york_sees_a_follow_up_due_at_15_utc_in_new_york_time(users):
    """15:00 UTC is 10:00 in New York in winter and 11:00 in summer: the page says which."""
    set_time_zone(user_id=users["csr"].pk, time_zone="America/New_York")
    lead = LeadFactory(contact=ContactFactory(first_name="Dana", last_name="Whitaker"))
    due = three_days_ahead_at_15_utc()
    followups.schedule_callback(lead_id=lead.pk, due_at=due, by=users["csr"], note="The quote")
    expected = in_full(due, NEW_YORK)
    assert expected.endswith(", 10:00" if due.astimezone(NEW_YORK).dst() == timedelta(0) else ", 11:00")

    page = client_for(users["csr"]).get("/followups/").content.decode()
    assert f'due <time datetime="{due.isoformat()}"' in page
    assert f"{expected} (in 3\xa0days)</time>" in page or f"{expected} (in 2\xa0days)</time>" in page
    assert ", 15:00" not in page
    lead_page = client_for(users["csr"]).get(f"/leads/{lead.pk}/").content.decode()
    assert expected in lead_page and ", 15:00" not in lead_page

    # A colleague who never chose a zone reads the company's (UTC in the tests).
    set_time_zone(user_id=users["marketing"].pk, time_zone="")
    other = client_for(users["marketing"]).get(f"/leads/{lead.pk}/").content.decode()
    assert in_full(due, ZoneInfo("UTC")) in other and expected not in other


@pytest.mark.parametrize("month", [1, 7])  # winter (UTC−5) and summer (UTC−4)
def test_a_callback_typed_as_10_by_a_new_york_user_is_stored_as_10_in_new_york(users, month):
    set_time_zone(user_id=users["csr"].pk, time_zone="America/New_York")
    lead = LeadFactory()
    day = date(timezone.now().year + 1, month, 15)
    response = client_for(users["csr"]).post(
        f"/leads/{lead.pk}/callback/",
        {"callback-due_at": f"{day:%Y-%m-%d}T10:00", "callback-note": "Call back at 10"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "Callback scheduled." in response.content.decode()
    stored = FollowUp.objects.get(lead=lead).due_at
    assert stored == datetime.combine(day, time(10, 0), tzinfo=NEW_YORK)
    assert stored.astimezone(UTC).hour == (15 if month == 1 else 14)
    assert f"{in_full(stored, NEW_YORK)} (in " in response.content.decode()  # and reads back as typed
    assert "Your time, America/New_York." in response.content.decode()  # the form says which zone it reads


def test_moving_a_follow_up_reads_the_new_time_in_the_users_zone(users):
    set_time_zone(user_id=users["csr"].pk, time_zone="America/New_York")
    lead = LeadFactory()
    followup = followups.schedule_callback(lead_id=lead.pk, due_at=three_days_ahead_at_15_utc(), by=users["csr"])
    day = (timezone.now() + timedelta(days=5)).astimezone(NEW_YORK).date()
    response = client_for(users["csr"]).post(
        f"/followups/{followup.pk}/reschedule/", {"due_at": f"{day:%Y-%m-%d}T10:00"}, follow=True
    )
    followup.refresh_from_db()
    assert followup.due_at == datetime.combine(day, time(10, 0), tzinfo=NEW_YORK)
    assert f"Moved to {followup.due_at.astimezone(NEW_YORK):%a} {day.day} {day:%b %Y}, 10:00." in (
        response.content.decode()
    )


def test_an_offer_deadline_is_typed_and_shown_in_the_marketers_zone(users):
    from campaigns.models import Campaign, Offer

    set_time_zone(user_id=users["marketing"].pk, time_zone="America/New_York")
    campaign = Campaign.objects.create(name="Winter")
    day = date(timezone.now().year + 1, 1, 31)
    response = client_for(users["marketing"]).post(
        "/offers/new/",
        {
            "campaign": campaign.pk,
            "code": "WINTER26",
            "headline": "Winter tune-up",
            "starts_at": f"{timezone.now().astimezone(NEW_YORK):%Y-%m-%dT%H:%M}",
            "deadline": f"{day:%Y-%m-%d}T17:00",
            "upsell_product": "Plan",
            "upsell_pitch": "Two visits",
            "placements-TOTAL_FORMS": "0",
            "placements-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    offer = Offer.objects.get(code="WINTER26")
    assert offer.deadline == datetime.combine(day, time(17, 0), tzinfo=NEW_YORK)  # 22:00 UTC
    listing = client_for(users["marketing"]).get("/campaigns/").content.decode()
    assert in_full(offer.deadline, NEW_YORK).endswith(", 17:00") and in_full(offer.deadline, NEW_YORK) in listing


def test_my_settings_sets_the_zone_from_the_top_bar(users):
    page = signed_in_client(users["sales"])
    home = page.get("/followups/").content.decode()
    assert 'href="/settings/"' in home  # the user's name in the top bar leads there
    form = page.get("/settings/").content.decode()
    assert '<option value="America/New_York">America/New York (UTC−0' in form
    saved = page.post("/settings/", {"time_zone": "America/New_York"}, follow=True)
    assert "Saved: times now show in America/New_York." in saved.content.decode()
    assert zone_of(get_user_model().objects.get(pk=users["sales"].pk)) == "America/New_York"
    refused = page.post("/settings/", {"time_zone": "Mars/Olympus_Mons"})
    assert refused.status_code == 400 and "Not saved" in refused.content.decode()
    assert StaffProfile.objects.get(user=users["sales"]).time_zone == "America/New_York"
    back = page.post("/settings/", {"time_zone": ""}, follow=True)
    assert "the company’s zone, UTC" in back.content.decode()
    assert StaffProfile.objects.get(user=users["sales"]).time_zone == ""


def test_a_manager_sets_a_users_zone_in_the_admin(users):
    user = users["csr"]
    admin = signed_in_client(users["manager"])
    page = admin.get(f"/admin/auth/user/{user.pk}/change/").content.decode()
    assert 'name="staff_profile-0-time_zone"' in page
    joined = timezone.localtime(user.date_joined)
    form = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "groups": [g.pk for g in user.groups.all()],
        "date_joined_0": f"{joined:%Y-%m-%d}",
        "date_joined_1": f"{joined:%H:%M:%S}",
        "staff_profile-TOTAL_FORMS": "1",
        "staff_profile-INITIAL_FORMS": "0",
        "staff_profile-MIN_NUM_FORMS": "0",
        "staff_profile-MAX_NUM_FORMS": "1",
        "staff_profile-0-time_zone": "Europe/Paris",
        "staff_profile-0-user": user.pk,
    }
    response = admin.post(f"/admin/auth/user/{user.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert StaffProfile.objects.get(user=user).time_zone == "Europe/Paris"
    me = client_for(get_user_model().objects.get(pk=user.pk)).get("/api/v1/auth/me/").json()
    assert me["time_zone"] == "Europe/Paris"


def test_create_user_takes_a_time_zone_and_refuses_an_unknown_one():
    out = StringIO()
    call_command("create_user", "nora", "--role", "csr", "--time-zone", "America/Chicago", stdout=out)
    assert zone_of(get_user_model().objects.get(username="nora")) == "America/Chicago"
    with pytest.raises(CommandError, match="time_zone: Unknown time zone"):
        call_command("create_user", "olaf", "--role", "csr", "--time-zone", "Chicago", stdout=out)
    assert not get_user_model().objects.filter(username="olaf").exists()


def test_pages_cost_no_query_for_the_zone(users):
    """The profile comes with the signed-in user (crm.auth.StaffBackend): one query, not two."""
    set_time_zone(user_id=users["csr"].pk, time_zone="America/New_York")
    page = client_for(users["csr"])
    page.get("/settings/")  # the session and the roles, read once
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert page.get("/settings/").status_code == 200
    assert not [q for q in queries.captured_queries if "crm_staffprofile" in q["sql"] and "JOIN" not in q["sql"]]
