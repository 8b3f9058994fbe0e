"""The attribution rules of docs/attribution.md, each deciding one lead of a small book that
arrives through the real doors (the capture endpoint, the console's new caller), read back from
the leads and from every table of the scoreboard's return on each source."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns.models import Placement
from campaigns.selectors import placement_for
from leads import intake
from leads.models import Lead
from reports.periods import Period
from reports.sources import sources
from tests.factories import live_offer

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
PERIOD = Period(TODAY - timedelta(days=29), TODAY)


def placed(offer, channel, outlet, cost):
    """A placement running the whole period, so the period carries its whole cost."""
    return Placement.objects.create(
        offer=offer, channel=channel, outlet=outlet, starts_on=PERIOD.start, ends_on=PERIOD.end, cost=Decimal(cost)
    )


@pytest.fixture
def book(form_key, users):
    """MAIL10 (campaign Mailing) runs in one direct-mail piece; SPRING25 (campaign Spring) in the
    Gazette and as a Google ad. Each lead below is decided by one rule."""
    mail = live_offer("MAIL10", campaign="Mailing", placement=False)
    spring = live_offer("SPRING25", campaign="Spring", placement=False)
    places = {
        "mailing": placed(mail, "direct mail", "Spring mailing", "900.00"),
        "gazette": placed(spring, "newspaper", "Gazette", "300.00"),
        "google": placed(spring, "web", "google", "600.00"),
    }
    _, key = form_key
    client = APIClient()

    def form(first, code="", **utm):
        body = {"first_name": first, "last_name": "Test", "email": f"{first.lower()}@example.com"}
        response = client.post("/api/v1/capture/", {**body, "offer_code": code, **utm}, HTTP_X_FORM_KEY=key)
        assert response.status_code in (200, 201), response.content
        return Lead.objects.get(pk=response.json()["lead"])

    def call(first, code, phone):
        return intake.take_inbound_call(
            by=users["csr"], first_name=first, last_name="Test", phone=phone, offer_code=code
        ).lead

    leads = {
        # No UTM: the code's only placement.
        "ann": call("Ann", "MAIL10", "555 010 0001"),
        # UTM present and not the mailing's outlet: Google, not the mailing (the misattribution).
        "ben": form("Ben", "MAIL10", utm_source="google", utm_medium="cpc"),
        # The UTM source agrees with one of the offer's placements.
        "cat": form("Cat", "SPRING25", utm_source="Gazette", utm_medium="print"),
        "dan": form("Dan", "SPRING25", utm_source="google", utm_medium="cpc"),
        # No code: the UTM source alone.
        "eve": form("Eve", utm_source="google", utm_medium="cpc"),
        # No UTM and an offer in two places: the offer and campaign, no placement.
        "fay": call("Fay", "SPRING25", "555 010 0002"),
    }
    # First touch: Cat comes back through Google with the other code; her credit stays.
    assert form("Cat", "MAIL10", utm_source="google", utm_medium="cpc").pk == leads["cat"].pk
    return {"leads": {name: Lead.objects.get(pk=lead.pk) for name, lead in leads.items()}, "places": places}


def credit(lead):
    return (
        lead.utm_source,
        lead.offer.code if lead.offer else None,
        lead.campaign.name if lead.campaign else None,
        lead.placement.outlet if lead.placement else None,
    )


def test_each_rule_decides_its_lead(book):
    leads = book["leads"]
    assert credit(leads["ann"]) == ("", "MAIL10", "Mailing", "Spring mailing")  # no UTM: the code's placement
    assert credit(leads["ben"]) == ("google", "MAIL10", "Mailing", None)  # the UTM disagrees: no placement
    assert credit(leads["cat"]) == ("Gazette", "SPRING25", "Spring", "Gazette")  # the UTM agrees
    assert credit(leads["dan"]) == ("google", "SPRING25", "Spring", "google")
    assert credit(leads["eve"]) == ("google", None, None, None)  # UTM when present
    assert credit(leads["fay"]) == ("", "SPRING25", "Spring", None)  # two places, nothing to tell them apart
    assert leads["cat"].offer_code == "SPRING25"  # first touch: the second arrival moved nothing


def rows(group):
    return {row["source"]: row for row in sources(PERIOD, group)}


def test_every_table_reads_the_credit_and_carries_only_its_own_costs(book):
    by_utm = rows("utm_source")
    assert {name: (row["leads"], row["cost"]) for name, row in by_utm.items()} == {
        "google": (3, "600.00"),  # Ben, Dan and Eve; the Google ad is the one placement clicked through
        "gazette": (1, "0.00"),  # Cat: the newspaper's cost is no UTM source's
        "(none)": (2, "0.00"),  # Ann and Fay called
    }
    assert "spring mailing" not in by_utm  # an outlet is not listed as a source at −100 %

    by_placement = rows("placement")
    assert {name: (row["leads"], row["cost"]) for name, row in by_placement.items()} == {
        "direct mail: Spring mailing (MAIL10)": (1, "900.00"),
        "newspaper: Gazette (SPRING25)": (1, "300.00"),
        "web: google (SPRING25)": (1, "600.00"),
        "(none)": (3, "0.00"),
    }
    by_offer = {name.split(":")[0]: (row["leads"], row["cost"]) for name, row in rows("offer").items()}
    assert by_offer == {"MAIL10": (2, "900.00"), "SPRING25": (3, "900.00"), "(none)": (1, "0.00")}
    by_campaign = {name: (row["leads"], row["cost"]) for name, row in rows("campaign").items()}
    assert by_campaign == {"Mailing": (2, "900.00"), "Spring": (3, "900.00"), "(none)": (1, "0.00")}


def test_a_medium_alone_names_the_placement_of_that_channel_and_two_runs_are_told_apart_by_the_day(db):
    offer = live_offer("NEWS5", placement=False)
    letter = placed(offer, "email", "Spring newsletter", "50.00")
    placed(offer, "radio", "KXYZ", "200.00")
    assert placement_for(offer, utm_medium="E-mail") == letter
    assert placement_for(offer, utm_medium="cpc") is None
    march = Placement.objects.create(
        offer=offer,
        channel="radio",
        outlet="KXYZ",
        starts_on=TODAY - timedelta(days=90),
        ends_on=TODAY - timedelta(days=60),
    )
    running = Placement.objects.get(offer=offer, outlet="KXYZ", ends_on=PERIOD.end)
    assert placement_for(offer, utm_source="kxyz") == running
    assert placement_for(offer, utm_source="kxyz", on=TODAY - timedelta(days=70)) == march
