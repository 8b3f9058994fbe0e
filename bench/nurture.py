"""Sequence figures for `make bench`: a step falling due for 100,000 enrolments at once, worked by
one real Celery worker.

Run as `python -m bench.nurture` in the bench's environment (bench/__main__.py does, after the
HTTP cases; `BENCH_ONLY=nurture_advance make bench` runs it alone). It prints one JSON line (the
last line of its output):

- `nurture_advance`: BENCH_NURTURE_ENROLMENTS leads (100,000) generated with consenting contacts
  (bench.scoring.generate_leads: straight into the database, as every generated book of the
  bench), one sequence saved and started through the product's services (an e-mail with a link,
  a wait of 3 days, an e-mail), and every lead enrolled due at once by one INSERT … SELECT (as
  `nurture.services.enrol` writes them: active, at the first step, due now; the service takes
  10,000 leads a call and asks a worker to sweep when it commits, which would start the work
  before the clock). Then VACUUM (ANALYZE) and a CHECKPOINT, as autovacuum would have been by in
  the days the enrolments waited for their step. Then one worker (`celery worker --pool solo`,
  the bulk queue only: one process, whose sweep works two batches at a time in two threads;
  CRM_NURTURE_DAILY_CAP raised above the enrolments, no quiet hours) is sent
  `nurture.tasks.bulk_advance_sequences`, and the clock runs until every
  enrolment's e-mail step is done: `seconds`, `enrolments_per_s`, the worker's peak memory
  (VmHWM) and CPU time, and the checks: one StepRun and one outbox e-mail (key `nurture:…`) per
  enrolment, none twice, each enrolment now waiting at its wait step. The bench sends the task
  at once and then every 30 s, expiring after 30 s, as beat does (`tasks_sent`): one task stops
  after its 50 s budget and the one waiting in the queue goes on. Also the plan (EXPLAIN, not
  run) of the due-step sweep's read (`nurture.engine.due_enrolments`) with every enrolment due
  (`explain`) and again after the sweep (`explain_after`); `seq_scans` counts the plans that do
  not read enrolment_due_idx or scan nurture_enrolment whole (0 expected).

The e-mails' send tasks go to the realtime queue, which this worker does not consume: sending
is not part of the target. They are purged from the broker at the end (their ids are this
database's only).
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.followups import _peak_memory_mb
from bench.load import with_load

ROOT = Path(__file__).resolve().parent.parent
ENROLMENTS = int(os.environ.get("BENCH_NURTURE_ENROLMENTS", "100000"))
WORKER_LOG = ROOT / "var" / "bench-nurture-worker.log"
BEAT = 30  # seconds: the sweep is sent at once, then as beat sends it (config.settings, advance-sequences)
TIMEOUT = 1800
# The daily cap would hold back every e-mail past it (50,000 by default) and the quiet hours every
# e-mail at night: raised and switched off, here and in the worker.
SETTINGS = {"CRM_NURTURE_DAILY_CAP": str(max(10 * ENROLMENTS, 1_000_000)), "CRM_NURTURE_QUIET_HOURS": "0-0"}
STEPS = [
    {
        "kind": "email",
        "subject": "{{ first_name }}, is your system ready for spring?",
        "text": "Dear {{ first_name }},\n\nA spring tune-up now catches small problems before the season: "
        "https://www.example.com/spring-tune-up\n\n{{ salesperson }}",
    },
    {"kind": "wait", "days": 3},
    {
        "kind": "email",
        "subject": "Still thinking it over, {{ first_name }}?",
        "text": "Dear {{ first_name }},\n\nThe spring slots are filling up: https://www.example.com/spring-tune-up",
    },
]


def make_enrolments(count: int):
    """`count` new leads in a new running sequence, each enrolled and due now; returns the sequence."""
    from django.db import connection
    from django.db.models import Max
    from django.utils import timezone

    from bench.scoring import generate_leads
    from leads.models import Lead
    from nurture import services
    from nurture.models import SequenceStatus

    before = Lead.objects.aggregate(top=Max("pk"))["top"] or 0
    generate_leads(count)
    made = services.save_sequence(name=f"Bench spring warm-up {os.urandom(3).hex()}", steps=STEPS)
    sequence = services.set_status(made.pk, SequenceStatus.ACTIVE)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO nurture_enrolment (sequence_id, lead_id, status, exit_reason, stage_at_enrolment, "
            "enrolled_at, by_trigger, next_step, next_position, waiting, due_at, last_step_at) "
            "SELECT %s, l.id, 'active', '', l.stage, %s, %s, %s, 0, %s, %s, %s FROM leads_lead l WHERE l.id > %s",
            [sequence.pk, now, False, sequence.steps[0]["key"], False, now, now, before],
        )
    return sequence


def settle() -> float:
    """VACUUM (ANALYZE) the tables the sweep reads and a CHECKPOINT: the state days after these
    enrolments began waiting, when their step falls due (autovacuum has been by; bench/maintenance.py
    does the same before the HTTP cases). Not the few sequences' table: autovacuum never gets to
    one so small, and the sweep must read its index without statistics on it. Seconds taken."""
    from django.db import connection

    started = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) crm_contact, leads_lead, leads_interaction, nurture_enrolment")
            try:
                cursor.execute("CHECKPOINT")
            except Exception:  # it needs a superuser (or pg_checkpoint): the VACUUM is what matters
                pass
    return round(time.perf_counter() - started, 1)


def sweep_plan() -> str:
    """The plan of the sweep's read for one batch, as the engine asks it now."""
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from nurture import engine

    running = engine.running_sequences()
    with transaction.atomic():  # a FOR UPDATE query is only built in a transaction
        return engine.due_enrolments(now=timezone.now(), limit=settings.CRM_NURTURE_BATCH, running=running).explain()


def plan_problems(plan: str) -> int:
    return int("enrolment_due_idx" not in plan) + plan.count("Seq Scan on nurture_enrolment")


def start_worker() -> subprocess.Popen:
    from django.conf import settings

    log = open(WORKER_LOG, "w")  # noqa: SIM115 - the worker holds it; closed when it ends
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", settings.BULK_QUEUE]
    command += ["--pool", "solo", "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "info"]
    worker = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **SETTINGS}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    log.close()
    deadline = time.monotonic() + 60
    while " ready." not in WORKER_LOG.read_text(errors="replace"):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not start:\n{WORKER_LOG.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    return worker


def _cpu_seconds(worker: subprocess.Popen) -> float:
    """The CPU time the worker process has used (user and system), from /proc."""
    fields = Path(f"/proc/{worker.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 1)


def stop_worker(worker: subprocess.Popen) -> None:
    try:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def purge_sends() -> int:
    """Drop the send tasks the sweep queued (realtime queue): no later worker should send them."""
    from django.conf import settings

    from config.celery import app

    try:
        with app.connection_for_write() as connection:
            return connection.default_channel.queue_purge(settings.REALTIME_QUEUE) or 0
    except Exception as exc:  # a broker without the queue: nothing to purge
        print(f"note: could not purge {settings.REALTIME_QUEUE}: {exc}", file=sys.stderr)
        return 0


def advance(count: int) -> dict:
    from django.conf import settings
    from django.db.models import Count

    from nurture.engine import EMAIL_KEY
    from nurture.models import Enrolment, StepRun
    from nurture.tasks import bulk_advance_sequences
    from outbox.models import Email
    from tracking.models import TrackedLink

    started = time.perf_counter()
    sequence = make_enrolments(count)
    generated = time.perf_counter() - started
    vacuumed = settle()
    enrolments = Enrolment.objects.filter(sequence=sequence)
    total = enrolments.count()
    explain = sweep_plan()
    runs = StepRun.objects.filter(enrolment__sequence=sequence)
    # All are due at the same moment, so the sweep (due_at, id) takes the highest id last: the
    # clock stops when that one's step is done, one row read a poll (a count of the step runs
    # would read more at every poll, beside the worker). The checks below count them all.
    last = StepRun.objects.filter(enrolment=enrolments.order_by("-pk").first(), step=sequence.steps[0]["key"])
    worker = start_worker()
    try:
        idle_cpu = _cpu_seconds(worker)  # its start (Django, Celery) is not the sweep's
        started = time.perf_counter()
        sent = 0
        while not last.exists():
            if time.perf_counter() - started >= sent * BEAT:  # what beat sends (advance-sequences)
                bulk_advance_sequences.apply_async(expires=BEAT)
                sent += 1
            time.sleep(0.2)
            if time.perf_counter() - started > TIMEOUT:
                raise TimeoutError(f"{runs.count():,} of {total:,} enrolments advanced after {TIMEOUT} s")
        seconds = time.perf_counter() - started
        time.sleep(1)  # anything done twice would show now
        peak, cpu = _peak_memory_mb(worker), round(_cpu_seconds(worker) - idle_cpu, 1)
    finally:
        stop_worker(worker)
    purged = purge_sends()
    explain_after = sweep_plan()
    twice = runs.values("enrolment_id", "step").annotate(n=Count("id")).filter(n__gt=1).count()
    emails = Email.objects.filter(key__startswith=EMAIL_KEY).count()
    waiting = enrolments.filter(status="active", next_step=sequence.steps[1]["key"], waiting=True).count()
    figure = {
        "enrolments": total,
        "generate_seconds": round(generated, 1),
        "vacuum_seconds": vacuumed,
        "seconds": round(seconds, 1),
        "enrolments_per_s": round(total / seconds, 1),
        "worker_peak_mb": peak,
        "worker_cpu_seconds": cpu,  # the rest of `seconds` it waited for PostgreSQL (or for a CPU)
        "batch": settings.CRM_NURTURE_BATCH,
        "tasks_sent": sent,
        "step_runs": runs.count(),
        "emails_queued": emails,
        "tracked_links": TrackedLink.objects.filter(email_key__startswith=EMAIL_KEY).count(),
        "waiting_at_the_wait_step": waiting,
        "duplicates": twice + max(0, emails - total) + max(0, runs.count() - total),
        "explain": explain,
        "explain_after": explain_after,
        "seq_scans": plan_problems(explain) + plan_problems(explain_after),
        "send_tasks_purged": purged,
    }
    figure["checks"] = {
        "one_step_run_each": figure["step_runs"] == total and twice == 0,
        "one_email_each": emails == total,
        "all_waiting": waiting == total,
        "sweep_reads_enrolment_due_idx": figure["seq_scans"] == 0,
    }
    figure["status"] = "done" if all(figure["checks"].values()) else "failed"
    return figure


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ.update(SETTINGS)
    import django

    django.setup()
    print(json.dumps({"nurture_advance": with_load(advance, ENROLMENTS)}))


if __name__ == "__main__":
    main()
