"""The statements PostgreSQL plans once per connection (config.prepared): a new prospect's capture
prepared the first time a connection writes one and executed from then on, prepared again on a
new connection, and a statement the server will not prepare run as it is, leaving the caller's
transaction usable."""

import pytest
from django.db import NotSupportedError, ProgrammingError, connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from config import prepared
from leads.models import Lead
from tracking import hits
from tracking.models import Hit, HitKind, Purpose, TrackedLink

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
URL = "/api/v1/capture/"


def capture(raw_key, email):
    response = APIClient().post(URL, {"email": email}, format="json", HTTP_X_FORM_KEY=raw_key)
    assert response.status_code == 201, response.content
    return response.json()


def statements(queries, verb):
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith(verb)]


def prepared_statements():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def prepared_here():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


@pytest.fixture
def nothing_prepared(db):
    """This connection as new: earlier tests on it prepared their statements already."""
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    prepared._prepared.pop(connection.connection, None)


def test_a_capture_is_prepared_once_per_connection_then_executed(form_key, nothing_prepared):
    _, raw = form_key
    with CaptureQueriesContext(connection) as first:
        capture(raw, "first@example.com")
    assert len(statements(first, "PREPARE")) == 1 and len(statements(first, "EXECUTE")) == 1
    name = statements(first, "EXECUTE")[0].split()[1]
    assert name in prepared_here()

    with CaptureQueriesContext(connection) as second:
        answer = capture(raw, "second@example.com")
    assert statements(second, "PREPARE") == []
    assert [sql.split()[1] for sql in statements(second, "EXECUTE")] == [name]
    lead = Lead.objects.select_related("contact").get(pk=answer["lead"])
    assert (lead.contact.email, lead.contact_id, lead.stage) == ("second@example.com", answer["contact"], "inquiry")


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again(form_key):
    _, raw = form_key
    capture(raw, "before@example.com")
    connection.close()  # as after a restart of the database, or CONN_MAX_AGE
    with CaptureQueriesContext(connection) as after:
        answer = capture(raw, "after@example.com")
    assert len(statements(after, "PREPARE")) == 1
    assert Lead.objects.get(pk=answer["lead"]).contact.email == "after@example.com"


def test_a_statement_the_server_will_not_prepare_runs_as_it_is(settings):
    # PostgreSQL cannot tell the type of a parameter that is only compared with NULL.
    sql = "SELECT %s IS NULL, CAST(%s AS text) || '%%'"
    with transaction.atomic(), connection.cursor() as cursor:
        prepared.execute(cursor, sql, [None, "50"])
        assert cursor.fetchone() == (True, "50%")
        cursor.execute("SELECT 1")  # the caller's transaction is still usable
        assert cursor.fetchone() == (1,)
    assert sql in prepared._refused


def test_a_percent_sign_in_a_prepared_statement_stays_one(settings):
    with connection.cursor() as cursor:
        for value in ("a", "b"):
            prepared.execute(cursor, "SELECT CAST(%s AS text) || '%%'", [value])
            assert cursor.fetchone() == (f"{value}%",)


def test_with_prepared_statements_off_a_capture_runs_as_it_is(form_key, settings):
    settings.CRM_PREPARED_STATEMENTS = False  # behind PgBouncer in transaction mode
    _, raw = form_key
    with CaptureQueriesContext(connection) as queries:
        capture(raw, "plain@example.com")
    assert statements(queries, "PREPARE") == [] and statements(queries, "EXECUTE") == []
    assert len(statements(queries, "WITH")) == 1


@pytest.mark.django_db(transaction=True)
def test_statements_dropped_behind_its_back_are_prepared_again(form_key):
    _, raw = form_key
    capture(raw, "before@example.com")
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as DISCARD ALL or a pooler would
    with CaptureQueriesContext(connection) as after:
        answer = capture(raw, "after@example.com")
    assert len(statements(after, "PREPARE")) == 1 and len(statements(after, "EXECUTE")) == 2
    assert Lead.objects.get(pk=answer["lead"]).contact.email == "after@example.com"


def test_a_connection_not_kept_between_requests_prepares_nothing(form_key, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)  # a PREPARE per request would cost more
    _, raw = form_key
    with CaptureQueriesContext(connection) as queries:
        capture(raw, "unkept@example.com")
    assert statements(queries, "PREPARE") == [] and len(statements(queries, "WITH")) == 1


def test_a_statement_failing_for_another_reason_is_not_refused_for_good():
    sql = "SELECT id FROM crm_not_migrated_yet WHERE id = %s"  # as while a deploy's migration runs
    with pytest.raises(ProgrammingError), transaction.atomic(), connection.cursor() as cursor:
        prepared.execute(cursor, sql, [1])
    assert sql not in prepared._refused


@pytest.fixture
def probe_table(transactional_db):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE crm_prepared_probe (x integer)")
        cursor.execute("INSERT INTO crm_prepared_probe VALUES (7)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE crm_prepared_probe")


def test_a_plan_out_of_date_is_prepared_again(probe_table):
    sql = "SELECT x FROM crm_prepared_probe WHERE x = %s"
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, [7])
        assert cursor.fetchone() == (7,)
        # "cached plan must not change result type": the column it returns changed type
        cursor.execute("ALTER TABLE crm_prepared_probe ALTER COLUMN x TYPE bigint")
        prepared.execute(cursor, sql, [7])
        assert cursor.fetchone() == (7,)


def test_inside_a_transaction_a_lost_plan_fails_once_then_is_prepared_again(probe_table):
    sql = "SELECT x FROM crm_prepared_probe WHERE x = %s"
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, [7])
        cursor.execute("ALTER TABLE crm_prepared_probe ALTER COLUMN x TYPE bigint")
    with pytest.raises(NotSupportedError), transaction.atomic(), connection.cursor() as cursor:
        prepared.execute(cursor, sql, [7])  # the caller's transaction is broken: its error
    with transaction.atomic(), connection.cursor() as cursor:
        prepared.execute(cursor, sql, [7])
        assert cursor.fetchone() == (7,)


def test_hits_are_not_prepared_with_prepared_statements_off(settings, nothing_prepared):
    settings.CRM_PREPARED_STATEMENTS = False
    settings.CRM_HITS_DATABASE = "default"
    link = TrackedLink.objects.create(purpose=Purpose.CLICK, email_key="k", url="https://example.com/")
    hits.record(kind=HitKind.OPEN, link_id=link.pk)
    assert Hit.objects.filter(link_id=link.pk).count() == 1
    assert not any("tracking_hit" in statement for statement in prepared_statements())
