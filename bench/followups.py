"""Follow-up and letter figures for `make bench`, through a real Celery worker and beat.

Run as `python -m bench.followups` in the bench's environment (bench/__main__.py does, before
the big book is generated). It prints one JSON line (the last line of its output):

- `letters_10k`: BENCH_LETTERS leads (10,000) generated and closed unclosed six weeks ago, then
  a batch of the shipped letter started and the clock run until the job is done: the selection,
  every letter rendered and recorded with its code and e-mail, and the combined PDF written,
  end to end through a worker (queues realtime and bulk, 2 processes, as `make run`). Also the
  worker processes' peak memory (VmHWM), the PDF's size and whether each lead has exactly one
  letter.
- `followups_due_1000`: 1,000 follow-ups falling due at the same moment, assigned to twenty
  people, with beat and the worker running; for each, the time from its due time to its
  assignee's notification (p50, p99, max), and whether each was announced exactly once.
"""

import json
import os
import signal
import statistics
import subprocess
import time
from datetime import timedelta
from pathlib import Path

from bench.load import peak_memory_mb, with_load
from bench.scoring import celery_process as _celery
from bench.scoring import worker_process as _worker

LETTERS = int(os.environ.get("BENCH_LETTERS", "10000"))
DUE = int(os.environ.get("BENCH_FOLLOWUPS_DUE", "1000"))


def _stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def _peak_memory_mb(process: subprocess.Popen) -> float:
    """The largest peak resident memory (VmHWM) among the worker's processes."""
    pids = [process.pid]
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    if children.exists():
        pids += [int(pid) for pid in children.read_text().split()]
    return peak_memory_mb(pids)


def letters_batch(count: int) -> dict:
    from django.conf import settings
    from django.db.models import Count, Max
    from django.utils import timezone

    from bench.scoring import generate_leads
    from followups.defaults import LETTER
    from followups.letters import services
    from followups.letters.selectors import EMAIL_KEY
    from followups.models import Letter, LetterTemplate
    from jobs.models import Job
    from leads.models import Lead
    from outbox.models import Email

    before = Lead.objects.aggregate(top=Max("pk"))["top"] or 0
    generate_leads(count)
    Lead.objects.filter(pk__gt=before).update(stage="unclosed", closed_at=timezone.now() - timedelta(days=45))
    template, _ = LetterTemplate.objects.get_or_create(name=LETTER["name"], defaults=LETTER)
    worker = _worker()
    try:
        time.sleep(4)  # the worker is up before the clock starts
        started = time.perf_counter()
        batch = services.start_batch(template_id=template.pk)
        while (status := Job.objects.get(pk=batch.job_id).status) not in ("done", "failed"):
            if time.perf_counter() - started > 1800:
                raise TimeoutError("the letter batch did not finish within 30 minutes")
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        peak = _peak_memory_mb(worker)
    finally:
        _stop(worker)
    batch.refresh_from_db()
    letters = Letter.objects.filter(batch=batch)
    twice = letters.values("lead").annotate(n=Count("id")).filter(n__gt=1).count()
    pdf = settings.CRM_LETTERS_DIR / batch.pdf if batch.pdf else None
    return {
        "letters": letters.count(),
        "seconds": round(seconds, 1),
        "letters_per_s": round(letters.count() / seconds, 1),
        "status": status,
        "leads_lettered_twice": twice,
        "pdf_mb": round(pdf.stat().st_size / 1e6, 2) if pdf and pdf.exists() else None,
        "worker_peak_mb": peak,
        "emails_queued": Email.objects.filter(key__startswith=EMAIL_KEY, created_at__gte=batch.created_at).count(),
    }


def followups_due(count: int) -> dict:
    from django.utils import timezone

    from crm.services import create_staff_user
    from followups.models import FollowUp, FollowUpKind
    from leads.models import Lead
    from notifications.models import Notification

    people = [create_staff_user(username=f"bench-fu-{i}-{os.getpid()}", role="csr") for i in range(20)]
    leads = list(Lead.objects.order_by("pk").values_list("pk", flat=True)[:count])
    due_at = timezone.now() + timedelta(seconds=20)
    FollowUp.objects.bulk_create(
        [
            FollowUp(lead_id=lead_id, kind=FollowUpKind.CALLBACK, due_at=due_at, assignee=people[i % len(people)])
            for i, lead_id in enumerate(leads)
        ]
    )
    beat, worker = _celery("beat", "--pidfile="), _worker()
    try:
        deadline = time.monotonic() + 300
        mine = Notification.objects.filter(user__in=people)
        while mine.count() < len(leads) and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(2)  # anything sent twice would show now
    finally:
        _stop(worker)
        _stop(beat)
    delays = sorted((at - due_at).total_seconds() for at in mine.values_list("created_at", flat=True))
    if not delays:
        return {"followups": len(leads), "notified": 0, "status": "failed"}
    return {
        "followups": len(leads),
        "notified": len(delays),
        "announced_twice": len(delays) - FollowUp.objects.filter(assignee__in=people, status="due").count(),
        "p50_s": round(statistics.median(delays), 1),
        "p99_s": round(delays[min(len(delays) - 1, int(len(delays) * 0.99))], 1),
        "max_s": round(delays[-1], 1),
        "status": "done" if len(delays) == len(leads) else "failed",
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    result = {}
    if LETTERS:
        result["letters_10k"] = with_load(letters_batch, LETTERS)
    if DUE:
        result["followups_due_1000"] = with_load(followups_due, DUE)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
