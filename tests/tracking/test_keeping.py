"""Raw hits are kept CRM_TRACKING_KEEP_DAYS: on PostgreSQL whole months are dropped (the table is
partitioned by month), elsewhere the rows are deleted; the coming months' partitions are made."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tracking import partitions
from tracking.models import Hit, ScoredMark
from tracking.tasks import keep_hit_partitions

pytestmark = pytest.mark.django_db


def hit(days_ago: float) -> Hit:
    return Hit.objects.create(kind="open", link_id=1, at=timezone.now() - timedelta(days=days_ago))


@pytest.mark.postgres
def test_old_months_are_dropped_whole_and_the_coming_months_are_ready(settings):
    settings.CRM_TRACKING_KEEP_DAYS = 90
    now = timezone.now()
    old_month = (now - timedelta(days=200)).date().replace(day=1)
    partitions._create_month(connection, old_month)
    old, recent = hit(200), hit(1)
    stray = hit(400)  # a month with no partition of its own: the default partition took it
    kept = partitions.keep(now)
    assert partitions._name(old_month) in kept["dropped"]
    assert kept["deleted"] == 1
    assert list(Hit.objects.values_list("pk", flat=True)) == [recent.pk]
    assert old.pk != stray.pk
    months = {start for _name, start in partitions._months()}
    this_month = now.date().replace(day=1)
    assert this_month in months and (this_month + timedelta(days=62)).replace(day=1) in months
    assert partitions.keep(now)["created"] == []  # nothing to do twice


def test_old_rows_are_deleted_where_months_are_not_partitions_and_old_marks_are_forgotten(settings):
    settings.CRM_TRACKING_KEEP_DAYS = 90
    recent = hit(1)
    hit(120)  # on PostgreSQL the default partition holds it (no month partition that old)
    ScoredMark.objects.create(key="o:old", day=date.today() - timedelta(days=5))
    ScoredMark.objects.create(key="o:new", day=date.today())
    kept = keep_hit_partitions()
    assert kept["deleted"] == 1 and kept["marks_deleted"] == 1
    assert list(Hit.objects.values_list("pk", flat=True)) == [recent.pk]
    assert list(ScoredMark.objects.values_list("key", flat=True)) == ["o:new"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=["default", "hits"])
def test_a_door_appends_its_hit_through_the_alias_that_does_not_wait_for_the_disk(settings):
    from django.db import connections
    from django.test import Client

    settings.CRM_HITS_DATABASE = "hits"
    assert Client().get("/o/forged-or-not-it-answers").status_code == 200  # a bad token writes nothing
    from tracking import tokens

    assert (
        Client(HTTP_USER_AGENT="Mozilla/5.0 (X11) Firefox/130.0").get(f"/o/{tokens.make(7, tokens.OPEN)}").status_code
        == 200
    )
    with connections["hits"].cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "off"
    with connections["default"].cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"  # every other write still waits for the disk
    [hit] = Hit.objects.all()  # committed: the default connection sees it
    assert (hit.kind, hit.link_id, hit.machine) == ("open", 7, "")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=["default", "hits"])
def test_a_hit_survives_a_connection_the_database_dropped(settings):
    """The hits alias skips the per-request health check: a connection the server dropped (a
    restart) is found stale when the hit is written, and the hit goes through a fresh one."""
    from django.db import connections
    from django.test import Client

    from tracking import tokens

    settings.CRM_HITS_DATABASE = "hits"
    browser = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11) Firefox/130.0")
    assert browser.get(f"/o/{tokens.make(7, tokens.OPEN)}").status_code == 200
    with connections["hits"].cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    assert browser.get(f"/o/{tokens.make(8, tokens.OPEN)}").status_code == 200
    assert sorted(Hit.objects.values_list("link_id", flat=True)) == [7, 8]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_fold_and_the_rescore_do_not_wait_for_the_disk_and_nothing_else_stops_waiting(monkeypatch):
    """A fold batch, a count batch and a rescore chunk are lost whole with their cursor or marks
    if the server crashes just after their commit, and done again: their commits need not wait.
    The setting is the transaction's own (SET LOCAL): the connection's next one waits again."""
    from tracking import engaged, fold, opens_and_clicks
    from tracking.models import PendingRescore

    seen = {}

    def setting_in(name):
        def record(*args, **kwargs):
            with connection.cursor() as cursor:
                cursor.execute("SHOW synchronous_commit")
                seen[name] = cursor.fetchone()[0]

        return record

    monkeypatch.setattr(opens_and_clicks, "score", setting_in("score"))
    monkeypatch.setattr(opens_and_clicks, "count", setting_in("count"))
    monkeypatch.setattr(engaged, "_rescore", setting_in("rescore"))
    hit(0)
    assert fold.fold_batch() == 1 and fold.count_batch() == 1
    PendingRescore.objects.create(lead_id=1, last_activity_at=timezone.now())
    assert engaged.rescore_engaged() == 1
    assert seen == {"score": "off", "count": "off", "rescore": "off"}
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


@pytest.mark.postgres
def test_a_fold_inside_a_callers_transaction_leaves_its_commit_waiting(monkeypatch):
    """SET LOCAL would last the caller's whole transaction (here the test's): not set then."""
    from tracking import fold

    hit(0)
    assert fold.fold_batch() == 1
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_flood_of_hits_leaves_its_counters_analyzed_not_without_statistics(settings):
    """The worker's run that counted a flood analyzes the counters it grew: a table filled from
    empty has no statistics until then, and plans read from none (docs/performance.md, session
    30: the queue's engagement query went parallel and took 13 ms instead of 1)."""
    from bench.tracking import generate_hits
    from tracking.fold import analyze_grown
    from tracking.tasks import bulk_fold_hits

    def analyzed_since(moment) -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_force_next_flush()")  # this connection's counts, reported
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname FROM pg_stat_user_tables WHERE relname LIKE 'tracking_%%' AND last_analyze >= %s",
                [moment],
            )
            return {row[0] for row in cursor.fetchall()}

    started = timezone.now()
    generate_hits(1500, 6000)
    run = bulk_fold_hits()
    assert run["folded"] == 6000 and run["counted"] == 6000
    assert {"tracking_leadactivity", "tracking_tally", "tracking_scoredmark"} <= analyzed_since(started)
    assert analyze_grown() == []  # nothing grew since
