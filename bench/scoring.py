"""Scoring figures for `make bench`: the pure engine's speed and a full rescore after a publish.

Run as `python -m bench.scoring --leads N` in the bench's environment (bench/__main__.py does).
It prints one JSON line (the last line of its output):

- `score_engine`: leads scored a second by `scoring.engine.score` alone, in this one process,
  on synthetic facts shaped like real leads (1–8 interactions, some answers, a profile).
- `recovery_after_kill` (first, on a small book of its own): a rescore job is started with a
  real worker (realtime and bulk queues) and beat running, the worker's whole process group is
  SIGKILLed at about a third of the job, a new worker is started at once, and the clock runs
  until the job moves again: the resume time after a kill, with the product's own settings
  (CRM_JOB_STALL_SECONDS, beat's sweep every 5 s, the sweep a starting worker asks for). It
  also checks that every lead was rescored exactly once.
- `rescore_full`: N leads generated straight into the database (one INSERT … SELECT each for
  contacts, leads and three interactions a lead), then the draft is published and the clock runs
  from the publish until a real Celery worker (started here, on the bench's broker) has marked
  the job done: leads a second, end to end.
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.load import with_load

ROOT = Path(__file__).resolve().parent.parent


def engine_rate(count: int = 20_000) -> dict:
    from scoring.defaults import DEFAULT_DEFINITION
    from scoring.definition import parse_definition
    from scoring.engine import InteractionFact, LeadFacts, score

    book = parse_definition(DEFAULT_DEFINITION, version=1)
    now = datetime.now(UTC)
    rng = random.Random(7)
    kinds = ["email_open", "email_click", "web_visit", "call_inbound", "form", "qr_scan", "note", "meeting"]
    facts = [
        LeadFacts(
            stage="inquiry",
            interactions=tuple(
                InteractionFact(rng.choice(kinds), now - timedelta(days=rng.randint(0, 60)), {})
                for _ in range(rng.randint(1, 8))
            ),
            answers={"timeline": "this_month", "budget": "planning"} if rng.random() < 0.3 else {},
            profile={"title": rng.choice(["Owner", "Clerk", "Director"]), "size_band": "10-49"},
            last_activity_at=now - timedelta(days=rng.randint(0, 60)),
            now=now,
        )
        for _ in range(count)
    ]
    started = time.perf_counter()
    for lead_facts in facts:
        score(lead_facts, book)
    seconds = time.perf_counter() - started
    return {"leads": count, "seconds": round(seconds, 3), "leads_per_s": round(count / seconds, 1)}


def generate_leads(count: int) -> None:
    """`count` contacts, each with one open lead and three interactions, in three statements."""
    from django.db import connection

    tag = os.urandom(4).hex()  # this run's contacts, so a database can be reused
    kinds = "ARRAY['email_open','web_visit','form','call_inbound','email_click','qr_scan']"
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM crm_contact")
        first_phone = 2000000000 + cursor.fetchone()[0]  # numbers no earlier call has used
        if connection.vendor == "postgresql":
            series, mod = f"generate_series(1, {count}) AS g(n)", "%"
            cursor.execute(
                "INSERT INTO crm_contact (first_name, last_name, title, persona, email, phone, consent, "
                "do_not_contact, mailing_address, created_at, updated_at) "
                f"SELECT 'First' || n, 'Last' || n, CASE WHEN n {mod} 4 = 0 THEN 'Owner' ELSE 'Clerk' END, '', "
                f"'rescore' || n || '.{tag}@bench.example', '+1' || ({first_phone} + n)::text, true, false, '', "
                "now(), now() "
                f"FROM {series}"
            )
            lead_activity = "now() - ((c.id % 40) * interval '1 day')"
            kind_expr = f"({kinds})[1 + ((l.id + k) % 6)]"
            interaction_time = "now() - ((l.id % 40) * interval '1 day') - (k * interval '1 hour')"
            pairs = "generate_series(1, 3) AS s(k)"
        else:
            cursor.execute(
                f"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {count}) "
                "INSERT INTO crm_contact (first_name, last_name, title, persona, email, phone, consent, "
                "do_not_contact, mailing_address, created_at, updated_at) "
                "SELECT 'First' || n, 'Last' || n, CASE WHEN n % 4 = 0 THEN 'Owner' ELSE 'Clerk' END, '', "
                f"'rescore' || n || '.{tag}@bench.example', '', 1, 0, '', datetime('now'), datetime('now') FROM g"
            )
            lead_activity = "datetime('now', '-' || (c.id % 40) || ' days')"
            kind_expr = (
                "CASE (l.id + k) % 6 WHEN 0 THEN 'email_open' WHEN 1 THEN 'web_visit' WHEN 2 THEN 'form' "
                "WHEN 3 THEN 'call_inbound' WHEN 4 THEN 'email_click' ELSE 'qr_scan' END"
            )
            interaction_time = "datetime('now', '-' || (l.id % 40) || ' days', '-' || k || ' hours')"
            pairs = "(SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3)"
        cursor.execute(
            "INSERT INTO leads_lead (contact_id, stage, score, temperature, rules_version, source, offer_code, "
            "offer_code_problem, utm_source, utm_medium, utm_campaign, inquiry_reason, desired_outcome, "
            "upsell_offered, upsell_accepted, lost_reason, created_at, inquired_at, last_activity_at) "
            "SELECT c.id, 'inquiry', 0, 'cold', 0, 'web_form', '', '', '', '', '', '', '', "
            f"false, false, '', {lead_activity}, {lead_activity}, {lead_activity} "
            f"FROM crm_contact c WHERE c.email LIKE 'rescore%%.{tag}@bench.example'"
        )
        cursor.execute(
            "INSERT INTO leads_interaction (lead_id, kind, occurred_at, note, answers, metadata, created_at) "
            f"SELECT l.id, {kind_expr}, {interaction_time}, '', '[]', '{{}}', {interaction_time} "
            f"FROM leads_lead l JOIN crm_contact c ON c.id = l.contact_id CROSS JOIN {pairs} "
            f"WHERE c.email LIKE 'rescore%%.{tag}@bench.example'"
        )
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE crm_contact; ANALYZE leads_lead; ANALYZE leads_interaction")


def rescore_rate(count: int) -> dict:
    from django.conf import settings

    from jobs.models import Job
    from leads.models import Lead
    from scoring import services

    started = time.perf_counter()
    generate_leads(count)
    generated = time.perf_counter() - started
    total = Lead.objects.count()

    draft = services.current_draft()
    definition = draft.definition
    next(rule for rule in definition["rules"] if rule["key"] == "email_open").update(points=3, cap=12)
    services.save_draft(definition=definition, note="bench")

    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            settings.BULK_QUEUE,
            "--concurrency",
            "2",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(3)  # the worker is up before the clock starts
        started = time.perf_counter()
        job = services.publish_draft()
        while (status := Job.objects.get(pk=job.pk).status) not in ("done", "failed"):
            if time.perf_counter() - started > 3600:
                raise TimeoutError("the rescore job did not finish within an hour")
            time.sleep(0.5)
        seconds = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    behind = Lead.objects.exclude(rules_version=job.params["version"]).count()
    return {
        "leads": total,
        "generate_seconds": round(generated, 1),
        "seconds": round(seconds, 1),
        "leads_per_s": round(total / seconds, 1),
        "status": status,
        "leads_left_behind": behind,
    }


def celery_process(*args: str) -> subprocess.Popen:
    """A Celery process in its own process group, so a SIGKILL takes down every child too."""
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", *args, "-l", "warning"],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def worker_process() -> subprocess.Popen:
    from django.conf import settings

    queues = f"{settings.REALTIME_QUEUE},{settings.BULK_QUEUE}"
    return celery_process("worker", "-Q", queues, "--concurrency", "2", "--without-heartbeat", "--without-gossip")


def _kill_group(process: subprocess.Popen, sig=signal.SIGKILL) -> None:
    """Stop the process group with `sig`; SIGKILL if it is still there 30 s later. A Celery
    worker left running (its warm shutdown waiting on a task) would take the next bench's tasks
    and its CPU: it happened once, and that run's figures were worth nothing."""
    for each in (sig, signal.SIGKILL):
        try:
            os.killpg(process.pid, each)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=30)
            return
        except subprocess.TimeoutExpired:
            continue
    process.wait()


def recovery_after_kill(count: int = 20_000) -> dict:
    """Kill the worker a third of the way through a rescore, start another at once, and time
    how long until the job moves again and until it is done."""
    from django.db.models import Count

    from jobs.models import Job
    from leads.models import Lead
    from scoring import services
    from scoring.models import ScoreChange

    generate_leads(count)
    draft = services.current_draft()
    definition = draft.definition
    next(rule for rule in definition["rules"] if rule["key"] == "web_visit").update(points=4, cap=12)
    services.save_draft(definition=definition, note="bench: recovery")
    beat = celery_process("beat", "--pidfile=")
    worker = worker_process()
    try:
        time.sleep(3)
        job = services.publish_draft()
        version = job.params["version"]
        total = Lead.objects.exclude(rules_version=version).count() or 1
        deadline = time.monotonic() + 300
        while (done := Job.objects.get(pk=job.pk).done) < total // 3:
            if time.monotonic() > deadline:
                raise TimeoutError("the job did not reach a third within 5 minutes")
            time.sleep(0.02)
        _kill_group(worker)
        killed = time.perf_counter()
        at_kill = Job.objects.get(pk=job.pk).done
        worker = worker_process()
        restarted = time.perf_counter()
        while Job.objects.get(pk=job.pk).done <= at_kill:
            if time.perf_counter() - killed > 300:
                raise TimeoutError("the job did not resume within 5 minutes of the kill")
            time.sleep(0.1)
        resumed = time.perf_counter()
        while (status := Job.objects.get(pk=job.pk).status) not in ("done", "failed"):
            if time.perf_counter() - killed > 600:
                raise TimeoutError("the job did not finish within 10 minutes of the kill")
            time.sleep(0.2)
        finished = time.perf_counter()
    finally:
        _kill_group(worker, signal.SIGTERM)
        _kill_group(beat, signal.SIGTERM)
    twice = (
        ScoreChange.objects.filter(rules_version=version).values("lead").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    return {
        "leads": total,
        "done_at_kill": at_kill,
        "resume_seconds_after_restart": round(resumed - restarted, 1),
        "resume_seconds_after_kill": round(resumed - killed, 1),
        "finish_seconds_after_kill": round(finished - killed, 1),
        "status": status,
        "leads_rescored_twice": twice,
        "leads_left_behind": Lead.objects.exclude(rules_version=version).count(),
        "done_before_kill": done,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--recovery-leads", type=int, default=20_000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    result = {"score_engine": with_load(engine_rate)}
    if args.recovery_leads:
        result["recovery_after_kill"] = with_load(recovery_after_kill, args.recovery_leads)
    if args.leads:
        result["rescore_full"] = with_load(rescore_rate, args.leads)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
