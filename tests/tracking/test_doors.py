"""The doors' own machinery: how a request is judged (person or machine) and where its network
is cut, the headers that keep every open and click from being cached, and the hits alias's
prepared statements, which a lost or outdated statement never costs a hit."""

import pytest
from django.db import connection

from tests.tracking.conftest import prospect
from tracking import hits, machines, tokens
from tracking.models import Hit, HitKind, Purpose, TrackedLink

SAFARI = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15"


@pytest.mark.parametrize(
    ("agent", "address", "verdict"),
    [
        (SAFARI, "81.2.69.160", ""),
        (SAFARI, "", ""),
        ("", "81.2.69.160", "no browser"),
        (" Mozilla/5.0 ", "81.2.69.160", "Apple privacy proxy"),
        ("Mozilla/5.0 (compatible; bingbot/2.0)", "81.2.69.160", "scanner or preview"),
        ("Mozilla/5.0 (Windows NT 10.0) Microsoft Office/16.0", "81.2.69.160", "scanner or preview"),
        ("Outlook-Android/2.0", "81.2.69.160", "scanner or preview"),
        ("PYTHON-requests/2.31", "81.2.69.160", "scanner or preview"),
        ("Botanist Reader/1.0", "81.2.69.160", ""),  # "bot" only at a word's end
        (SAFARI, "40.92.1.1", "scanner network"),  # Microsoft's mail protection (settings)
        (SAFARI, "::ffff:40.92.3.3", "scanner network"),  # the same, through a dual-stack bind
        (SAFARI, "40.94.0.1", ""),
        (SAFARI, "not an address", ""),
    ],
)
def test_a_request_is_judged_by_its_agent_and_network(agent, address, verdict):
    assert machines.judge(agent, address) == verdict


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("81.2.69.160", "81.2.69.0"),
        ("::ffff:81.2.69.160", "81.2.69.0"),
        ("2001:db8:1234:5678::1", "2001:db8:1234::"),
        ("01.2.3.4", ""),
        ("256.1.1.1", ""),
        ("", ""),
    ],
)
def test_a_hit_keeps_the_clients_network_never_its_address(address, network):
    assert machines.network_of(address) == network


@pytest.mark.django_db
def test_no_open_or_click_is_answered_for_a_cache(letter_template):
    from tests.factories import LeadFactory

    lead = LeadFactory()
    opened = TrackedLink.objects.create(purpose=Purpose.OPEN, lead=lead, email_key="k")
    clicked = TrackedLink.objects.create(purpose=Purpose.CLICK, lead=lead, email_key="k", url="https://example.com/")
    for response in (
        prospect().get(f"/o/{tokens.make(opened.pk, tokens.OPEN)}"),
        prospect().get(f"/t/{tokens.make(clicked.pk, tokens.CLICK)}"),
        prospect().get("/t/forged0000000000"),
    ):
        assert set(response["Cache-Control"].split(", ")) >= {"no-cache", "no-store", "max-age=0", "private"}
        assert response["Expires"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_hits_go_through_prepared_statements_and_one_lost_costs_no_hit(settings):
    settings.CRM_HITS_DATABASE = "default"
    link = TrackedLink.objects.create(purpose=Purpose.CLICK, email_key="k", url="https://example.com/")
    hits.record(kind=HitKind.OPEN, link_id=link.pk)
    assert prospect().get(f"/t/{tokens.make(link.pk, tokens.CLICK)}").status_code == 302
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall() if "INSERT INTO tracking_hit" in statement]
        assert len(prepared) == 2  # the pixel's INSERT, the link's read-and-INSERT
        cursor.execute("DEALLOCATE ALL")  # as a pooler's reset, or a restart behind the driver's back, would

    hits.record(kind=HitKind.OPEN, link_id=link.pk)
    assert prospect().get(f"/t/{tokens.make(link.pk, tokens.CLICK)}").status_code == 302
    assert sorted(Hit.objects.values_list("kind", flat=True)) == ["click", "click", "open", "open"]
