"""A worker SIGKILLed in the middle of advancing 10,000 enrolments whose e-mail step fell due at
once: the batch it held rolls back whole (its step runs, e-mails and tracked links with it), a
new worker does the rest, and in the end every enrolment has exactly one run of its e-mail step
and exactly one outbox e-mail under its key, no more. Real PostgreSQL, Redis and workers."""

import os
import signal
import time

import pytest
from django.db import connection
from django.db.models import Count

from bench.nurture import make_enrolments
from nurture import services
from nurture.engine import EMAIL_KEY, email_key
from nurture.models import Enrolment, StepRun
from outbox.models import Email
from tests.integration.workers import start_worker, stop, wait_for
from tracking.models import TrackedLink

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ENROLMENTS = 10_000
BATCH = 500  # small batches: the kill lands part way, and most likely inside one
WORKER = {
    "CRM_NURTURE_BATCH": str(BATCH),
    "CRM_NURTURE_DAILY_CAP": "1000000",  # the cap and the quiet hours would hold e-mails back
    "CRM_NURTURE_QUIET_HOURS": "0-0",
}


def holds_a_batch(app_name: str) -> bool:
    """Whether the worker's connection is inside a batch: enrolments are locked by its transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity a JOIN nurture_enrolment e ON e.xmax = a.backend_xid "
            "WHERE a.application_name = %s)",
            [app_name],
        )
        return cursor.fetchone()[0]


def connected(app_name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [app_name])
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_mid_sweep_leaves_each_step_done_and_each_email_queued_exactly_once(broker):
    sequence = make_enrolments(ENROLMENTS)
    first = sequence.steps[0]["key"]
    enrolments = dict(Enrolment.objects.filter(sequence=sequence).values_list("pk", "lead_id"))
    assert len(enrolments) == ENROLMENTS
    env = {**WORKER, "CELERY_BROKER_URL": broker.url}
    killed, fresh = "nurture-worker-killed", "nurture-worker-fresh"  # their connections' application_name
    clock = time.monotonic()
    worker = start_worker(realtime=False, PGAPPNAME=killed, **env)
    try:
        services.start_sweep()  # what enrolling asks for once it commits
        assert wait_for(
            lambda: 2 * BATCH <= StepRun.objects.count() <= ENROLMENTS - 4 * BATCH and holds_a_batch(killed),
            seconds=60,
            every=0.05,
        ), f"never caught the worker mid-sweep ({StepRun.objects.count()} of {ENROLMENTS} done)"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        stop(worker, "killed worker")
        assert wait_for(lambda: not connected(killed), seconds=30), "the killed worker's transaction lingers"
        killed_at = time.monotonic() - clock

        done = StepRun.objects.count()
        assert 0 < done < ENROLMENTS, "the kill came too late to test anything"
        # Whole batches only: the one the worker held left nothing behind.
        assert done % BATCH == 0
        assert Email.objects.filter(key__startswith=EMAIL_KEY).count() == done
        assert TrackedLink.objects.filter(email_key__startswith=EMAIL_KEY).count() == 3 * done

        worker = start_worker(realtime=False, PGAPPNAME=fresh, **env)
        services.start_sweep()  # what beat sends every 30 s
        assert wait_for(lambda: StepRun.objects.count() >= ENROLMENTS, seconds=60), (
            f"the sweep did not finish ({StepRun.objects.count()} of {ENROLMENTS} done)"
        )
        time.sleep(1)  # anything done twice would show now
    finally:
        stop(worker)
    print(f"killed after {killed_at:.1f} s with {done} done; all done after {time.monotonic() - clock:.1f} s")

    runs = StepRun.objects.filter(enrolment__sequence=sequence)
    assert runs.count() == ENROLMENTS
    assert set(runs.values_list("step", flat=True).distinct()) == {first}
    per_enrolment = runs.values("enrolment").annotate(n=Count("id"))
    assert {row["enrolment"] for row in per_enrolment} == set(enrolments)
    assert {row["n"] for row in per_enrolment} == {1}, "a step was done twice"
    emails = Email.objects.filter(key__startswith=EMAIL_KEY)
    assert emails.count() == ENROLMENTS, "an e-mail was queued twice, or not at all"
    assert set(emails.values_list("key", flat=True)) == {email_key(pk, first) for pk in enrolments}
    assert set(runs.values_list("email_key", flat=True)) == {email_key(pk, first) for pk in enrolments}
    links = TrackedLink.objects.filter(email_key__startswith=EMAIL_KEY)
    assert links.count() == 3 * ENROLMENTS  # a link, the open image and the forward form: each once
    assert Enrolment.objects.filter(sequence=sequence, waiting=True, next_step=sequence.steps[1]["key"]).count() == (
        ENROLMENTS
    )
