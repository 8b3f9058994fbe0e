"""What production shows the outside: a Content-Security-Policy on every answer, and refusals
logged as one line."""

import logging

import pytest

from tests.factories import LeadFactory, LogRecords, signed_in_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/login/", "/leads/", "/console/", "/api/v1/auth/me/", "/api/docs/"])
def test_every_answer_carries_the_content_security_policy(url, users):
    response = signed_in_client(users["manager"]).get(url)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-eval" not in policy


def test_pages_carry_no_inline_script(users):
    page = signed_in_client(users["manager"])
    for url in ["/leads/", "/console/", "/briefing/", "/queue/", "/scoring/", "/campaigns/", "/notifications/"]:
        html = page.get(url).content.decode()
        assert "<script>" not in html and "onclick=" not in html and "js:" not in html, url


def test_a_refused_page_is_logged_as_one_line_without_a_traceback(users):
    handler = LogRecords()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        response = signed_in_client(users["csr"]).get("/scoring/")  # marketing's page
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 403
    [record] = [r for r in handler.records if r.status_code == 403]
    assert record.exc_info is None
    assert logging.Formatter().format(record).count("\n") == 0


def test_every_csv_download_says_it_is_utf8(users):
    """A spreadsheet that guesses the encoding reads "José" as "JosÃ©": each CSV names its charset."""
    LeadFactory(contact__first_name="José")
    page = signed_in_client(users["marketing"])
    downloads = {
        "/leads/export.csv": page.get("/leads/export.csv"),
        "/reports/funnel.csv": page.get("/reports/funnel.csv"),
        "/api/v1/reports/sources/?format=csv": page.get("/api/v1/reports/sources/", {"format": "csv"}),
    }
    for url, response in downloads.items():
        assert response.status_code == 200, url
        assert response["Content-Type"] == "text/csv; charset=utf-8", url
    exported = b"".join(downloads["/leads/export.csv"].streaming_content).decode("utf-8-sig")
    assert "José" in exported
