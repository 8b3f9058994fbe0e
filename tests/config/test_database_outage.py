"""While the database cannot be reached, the API, the capture endpoint and the pages answer 503
with Retry-After (JSON under /api/, a short page for people), logged as one line each; nothing
is mocked: the default connection is pointed at a port nothing listens on (a file that cannot
be opened on SQLite), so every query really fails to connect."""

import logging
import socket
from contextlib import contextmanager

import pytest
from django.db import DatabaseError, connection, connections, transaction

from config.errors import DATABASE_RETRY_AFTER, database_unreachable
from leads.models import Lead
from tests.factories import LogRecords, signed_in_client

pytestmark = pytest.mark.django_db

ORIGIN = "https://shop.example.com"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # free once the socket closes: nothing listens there


@contextmanager
def database_out_of_reach():
    """Requests made inside reach a database that refuses connections; the test's own
    connection (and its transaction) is put back afterwards. Log records are collected."""
    original = connections["default"]
    settings = {**original.settings_dict, "CONN_HEALTH_CHECKS": False}
    if original.vendor == "postgresql":
        settings.update(HOST="127.0.0.1", PORT=str(_closed_port()))
    else:
        settings["NAME"] = "/nonexistent-directory/crm.sqlite3"
    unreachable = type(original)(settings, "default")
    records = LogRecords()
    logging.getLogger("django.request").addHandler(records)
    connections["default"] = unreachable
    try:
        yield records.records
    finally:
        connections["default"] = original
        unreachable.close()
        logging.getLogger("django.request").removeHandler(records)


def _one_line_each(records, count):
    assert len(records) == count, [record.getMessage() for record in records]
    for record in records:
        assert record.exc_info is None
        assert record.getMessage().startswith("Database unreachable: ")
        assert logging.Formatter().format(record).count("\n") == 0


def test_the_api_answers_503_with_retry_after(users, api_as):
    api = api_as(users["csr"])
    with database_out_of_reach() as records:
        listed = api.get("/api/v1/leads/")
        logged = api.post("/api/v1/leads/1/interactions/", {"kind": "note"}, format="json")
    for response in (listed, logged):
        assert response.status_code == 503
        assert response["Retry-After"] == str(DATABASE_RETRY_AFTER)
        assert response["Content-Type"] == "application/json"
        assert "try again" in response.json()["detail"]
    _one_line_each(records, 2)


def test_capture_answers_503_that_the_forms_page_can_read(form_key, api_as):
    _row, raw_key = form_key
    client = api_as(None)
    body = {"email": "ann@example.com", "message": "Quote please"}
    with database_out_of_reach() as records:
        preflight = client.options("/api/v1/capture/", HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
        posted = client.post("/api/v1/capture/", body, format="json", HTTP_X_FORM_KEY=raw_key, HTTP_ORIGIN=ORIGIN)
    assert preflight.status_code == 204 and preflight["Access-Control-Allow-Origin"] == ORIGIN
    assert preflight["Access-Control-Max-Age"] == "0"  # nothing checked, so nothing cached
    assert posted.status_code == 503 and posted["Retry-After"] == str(DATABASE_RETRY_AFTER)
    assert posted["Access-Control-Allow-Origin"] == ORIGIN
    assert "Retry-After" in posted["Access-Control-Expose-Headers"]
    _one_line_each(records, 1)
    # Once the database is back, the same submission goes through.
    again = client.post("/api/v1/capture/", body, format="json", HTTP_X_FORM_KEY=raw_key, HTTP_ORIGIN=ORIGIN)
    assert again.status_code == 201 and Lead.objects.filter(contact__email="ann@example.com").exists()


def test_pages_answer_a_short_503_page(users):
    page = signed_in_client(users["csr"])
    with database_out_of_reach() as records:
        responses = [page.get("/leads/"), page.get("/console/")]
    for response in responses:
        assert response.status_code == 503
        assert response["Retry-After"] == str(DATABASE_RETRY_AFTER)
        html = response.content.decode()
        assert "<h1>Back in a minute</h1>" in html and "nothing you sent was saved" in html
    _one_line_each(records, 2)


def test_a_failure_outside_any_view_is_a_503_page_too(rf):
    """What a middleware raises reaches handler500 (config.error_views.server_error)."""
    from config.error_views import server_error

    with database_out_of_reach():
        try:
            Lead.objects.exists()
        except DatabaseError:
            response = server_error(rf.get("/leads/"))
    assert response.status_code == 503 and response["Retry-After"] == str(DATABASE_RETRY_AFTER)


def test_a_wrong_query_is_not_taken_for_an_outage():
    """Only a database out of reach is a 503: a broken query is a bug, a 500 with its traceback."""
    with pytest.raises(DatabaseError) as raised, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM leads_lead")
    assert not database_unreachable(raised.value)
