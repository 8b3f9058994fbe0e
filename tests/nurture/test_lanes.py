"""The sweep's lanes: on PostgreSQL, advance_all works two batches at once, each in its own
thread and transaction; every enrolment's step is still done exactly once, its e-mail queued
once, and the lanes' connections are closed when they are done. On SQLite one batch at a time.
Committed data (transaction=True): a lane's connection sees only what was committed."""

import threading
import time

import pytest
from django.db import connection
from django.db.models import Count

from nurture import engine, services
from nurture.models import Enrolment, StepRun
from outbox.models import Email
from tests.nurture.conftest import EMAIL, prospect, sequence

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_lanes_do_every_due_step_once_and_leave_no_connection_open(settings):
    settings.CRM_NURTURE_BATCH = 4
    seq = sequence([EMAIL, {"kind": "wait", "days": 3}, EMAIL])
    leads = [prospect() for _ in range(30)]
    services.enrol(sequence_id=seq.pk, lead_ids=[lead.pk for lead in leads])
    threads_before, connections_before = threading.active_count(), other_connections()

    assert engine.advance_all() == 30
    assert engine.advance_all() == 0  # all waiting now

    per_enrolment = StepRun.objects.values("enrolment").annotate(runs=Count("id")).values_list("runs", flat=True)
    assert sorted(per_enrolment) == [1] * 30
    assert Email.objects.filter(key__startswith=engine.EMAIL_KEY).count() == 30
    assert set(Enrolment.objects.values_list("waiting", flat=True)) == {True}
    assert threading.active_count() == threads_before
    assert lanes_gone(connections_before)  # the lanes closed their own


def lanes_gone(before: int, seconds: float = 10.0) -> bool:
    """Whether the connections are back to `before`: a closed connection's server process ends a
    moment after the client hangs up, so it is waited for; a leaked one would stay."""
    deadline = time.monotonic() + seconds
    while other_connections() > before:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def other_connections() -> int:
    """Connections to this test database besides this one (PostgreSQL; 0 elsewhere)."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_two_lanes_adding_letters_to_the_days_batch_leave_one_whole_pdf(settings, tmp_path, letter_template):
    """Both lanes add letters to the same day's batch and each rewrites its PDF once it commits
    (one writer at a time: followups.letters.daily._write_pdf): the PDF left has every letter,
    and no partial file is left beside it."""
    import io

    from pypdf import PdfReader

    from followups.models import LetterBatch

    settings.CRM_NURTURE_BATCH = 4
    settings.CRM_LETTERS_DIR = tmp_path
    seq = sequence([{"kind": "letter", "template": letter_template.pk}])
    leads = [prospect() for _ in range(24)]
    services.enrol(sequence_id=seq.pk, lead_ids=[lead.pk for lead in leads])

    assert engine.advance_all() == 24

    batch = LetterBatch.objects.get(template=letter_template, daily=True)
    assert batch.letters.count() == 24
    assert len(PdfReader(io.BytesIO((tmp_path / batch.pdf).read_bytes())).pages) == 24
    assert [path.name for path in tmp_path.iterdir()] == [batch.pdf]  # no partial file left
