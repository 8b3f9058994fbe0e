"""Report reads go through the reports alias (a read replica in production), everything else
through the default database. Here the alias mirrors the default one, as in any test run, so
committed rows are seen through it as a replica would see them."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leads.models import Lead
from tests.factories import signed_in_client, won_lead

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, databases=["default", "reports"])]


def test_report_queries_read_from_the_reports_alias_and_nothing_else_does(users, settings):
    assert settings.CRM_REPORTS_DATABASE == "reports"
    won_lead("1200", cycle_days=4)
    client = signed_in_client(users["manager"])
    replica, main = CaptureQueriesContext(connections["reports"]), CaptureQueriesContext(connections["default"])
    with replica, main:
        figures = client.get(reverse("api-reports-summary")).json()
    assert figures["won"] == 1 and figures["median_sales_cycle_days"] == 4.0
    report_reads = [q["sql"] for q in replica]
    assert report_reads and all(
        any(table in sql for table in ("leads_lead", "followups_letter", "reports_")) for sql in report_reads
    )  # the leads, the letters, and the scoreboard's rollups (reports.models), all from the replica
    assert not any("leads_lead" in q["sql"] for q in main)  # the session and the user, nothing of the report

    with CaptureQueriesContext(connections["reports"]) as replica:
        client.get(reverse("lead-list"))
        Lead.objects.count()
    assert not replica.captured_queries  # the rest of the product never reads from a replica
