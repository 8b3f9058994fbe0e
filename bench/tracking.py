"""Engagement tracking at volume (PostgreSQL): the doors' set-up, a million hits folded, the
lead page's panel at a lead with 10,000 hits. Run by bench/__main__.py as
`python -m bench.tracking setup|fold|panel LEAD`; each prints one JSON line.

`generate_hits(leads, hits)` gives `leads` leads (the newest of the book, or new ones from
bench.scoring.generate_leads) one sent e-mail each, with its open image and two links, and
appends `hits` raw hits on them over the last day, most in its first hours, as a campaign's
opens and clicks arrive: every lead's hits interleaved in time, one open to two clicks, four in
ten from machines (Apple's privacy proxy alone fetches about half of all open images). Nothing
is folded there.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

SCANNER = "Mozilla/5.0 (Windows NT 10.0) Microsoft Office/16.0"
BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15"
DOOR_LEADS = int(os.environ.get("BENCH_TRACKING_DOOR_LEADS", "10000"))  # e-mails the doors' requests hit
FOLD_HITS = int(os.environ.get("BENCH_FOLD_HITS", "1000000"))
FOLD_LEADS = int(os.environ.get("BENCH_FOLD_LEADS", "100000"))
FOLD_PROCESSES = int(os.environ.get("BENCH_FOLD_PROCESSES", str(os.cpu_count() or 1)))  # the worker's pool
PANEL_HITS = 10_000


def _django():
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()


def email_links(leads: int, *, new: bool) -> tuple[str, int, int]:
    """One sent e-mail with an open image and two links for each of `leads` leads; returns the
    e-mails' key prefix and the first and last link ids."""
    from django.db import connection

    from bench.scoring import generate_leads

    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM leads_lead")
        newest = cursor.fetchone()[0]
    if new:
        generate_leads(leads)
        chosen = f"l.id > {newest}"
    else:
        chosen = f"l.id > {max(0, newest - leads)}"
    tag = f"bench-{os.urandom(4).hex()}:"
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO outbox_email (key, to_address, reply_to, unsubscribe_url, subject, text, html, created_at, "
            "sent_at, attempts, last_error) "
            f"SELECT '{tag}' || l.id, 'bench@bench.example', '', '', 'Spring offer', 'text', '', "
            f"now() - interval '2 days', now() - interval '2 days', 1, '' FROM leads_lead l WHERE {chosen}"
        )
        cursor.execute(
            "INSERT INTO tracking_trackedlink (purpose, url, lead_id, email_key, created_at) "
            f"SELECT p.purpose, p.url, l.id, '{tag}' || l.id, now() FROM leads_lead l CROSS JOIN "
            "(VALUES ('open', ''), ('click', 'https://www.example.com/a'), ('click', 'https://www.example.com/b')) "
            f"AS p(purpose, url) WHERE {chosen}"
        )
        cursor.execute("SELECT MIN(id), MAX(id) FROM tracking_trackedlink WHERE email_key LIKE %s", [f"{tag}%"])
        low, high = cursor.fetchone()
    return tag, low, high


def append_hits(low: int, high: int, hits: int, *, spread: str = "1 day") -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tracking_hit (at, kind, link_id, visitor, url, referrer, agent, network, machine) "
            f"SELECT now() - (power(random(), 3) * interval '{spread}'), t.purpose, t.id, '', '', '', "
            "CASE WHEN m THEN %(scanner)s ELSE %(browser)s END, '198.51.100.0', "
            "CASE WHEN m THEN 'scanner or preview' ELSE '' END "
            "FROM (SELECT g, random() < 0.4 AS m FROM generate_series(1, %(hits)s) AS g) AS s "
            "JOIN tracking_trackedlink t ON t.id = %(low)s + (g::bigint * 7919) %% (%(high)s - %(low)s + 1) "
            "ORDER BY g",
            {"low": low, "high": high, "hits": hits, "scanner": SCANNER, "browser": BROWSER},
        )
        cursor.execute("ANALYZE tracking_hit; ANALYZE tracking_trackedlink; ANALYZE outbox_email")


def generate_hits(leads: int, hits: int, *, new: bool = True) -> dict:
    _tag, low, high = email_links(leads, new=new)
    append_hits(low, high, hits)
    return {"leads": leads, "hits": hits, "links": high - low + 1}


def setup(*, new: bool = False) -> dict:
    """The doors' addresses (an open image and a link for each of DOOR_LEADS leads of the book,
    or of as many new leads with `new`: BENCH_ONLY=tracking_doors has no book) and a lead with
    PANEL_HITS hits, folded, for the panel."""
    from tracking import tokens
    from tracking.fold import fold_all
    from tracking.models import Purpose, TrackedLink

    tag, low, high = email_links(DOOR_LEADS, new=new)
    links = TrackedLink.objects.filter(pk__gte=low, pk__lte=high).values_list("pk", "purpose")
    pixel = [f"/o/{tokens.make(pk, tokens.OPEN)}" for pk, purpose in links if purpose == Purpose.OPEN]
    redirect = [f"/t/{tokens.make(pk, tokens.CLICK)}" for pk, purpose in links if purpose == Purpose.CLICK]
    _tag, low, high = email_links(1, new=True)
    append_hits(low, high, PANEL_HITS, spread="30 days")
    fold_all()
    lead_id = TrackedLink.objects.get(pk=low).lead_id
    return {"pixel_paths": pixel, "redirect_paths": redirect, "panel_lead": lead_id, "email_tag": tag}


def fold(*, new: bool = False) -> dict:
    """FOLD_HITS hits on FOLD_LEADS leads of the book (or new ones, with `new`; plus whatever the
    doors' runs appended), folded into interactions and scores as one worker does it: its
    FOLD_PROCESSES pool processes (one per CPU, as `celery worker` starts) each running the beat's
    task, tracking.tasks.bulk_fold_hits, again and again until nothing is left. Timed, then
    checked: every hit folded once (the cursor's count), no scoring interaction written twice."""
    from django.db import connection
    from django.db.models import Count, Max

    from leads.models import Interaction
    from tracking.fold import folded_up_to
    from tracking.models import FoldCursor, Hit, PendingRescore

    started = time.perf_counter()
    generate_hits(FOLD_LEADS, FOLD_HITS, new=new)
    with connection.cursor() as db:  # the book at rest, as autovacuum and the checkpointer leave a day's writes
        db.execute("VACUUM ANALYZE leads_lead, crm_contact, outbox_email, tracking_trackedlink, tracking_hit")
        db.execute("CHECKPOINT")
    generated = time.perf_counter() - started
    before = FoldCursor.objects.filter(pk=1).values_list("folded", flat=True).first() or 0
    waiting = Hit.objects.filter(id__gt=folded_up_to()).count()
    connection.close()  # the pool processes open their own
    pool = [
        subprocess.Popen([sys.executable, "-m", "bench.tracking", "fold-process"], stdout=subprocess.PIPE, text=True)
        for _ in range(FOLD_PROCESSES)
    ]
    runs = [json.loads(process.communicate()[0].strip().splitlines()[-1]) for process in pool]
    started = min(run["ready"] for run in runs)  # from the first process with Django loaded, as a worker is
    seconds = time.monotonic() - started
    folded_at = max(run["last_fold"] for run in runs) - started
    rescored = sum(run["rescored"] for run in runs)
    cursor, counted = FoldCursor.objects.get(pk=1), FoldCursor.objects.get(pk=2)
    twice = (
        Interaction.objects.filter(kind__in=["email_open", "email_click"], metadata__has_key="email")
        .values("lead_id", "kind", "metadata", "occurred_at__date")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    with connection.cursor() as db:
        db.execute(  # a partitioned table's rows are in its partitions
            "SELECT COALESCE(SUM(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits "
            "WHERE inhparent = 'tracking_hit'::regclass"
        )
        size = int(db.fetchone()[0])
    return {
        "fold_1m": {
            "hits": cursor.folded - before,
            "waiting_at_start": waiting,
            "leads": FOLD_LEADS,
            "generate_seconds": round(generated, 1),
            "fold_seconds": round(folded_at, 1),
            "leads_rescored": rescored,
            "processes": [{"folded": run["folded"], "rescored": run["rescored"]} for run in runs],
            "seconds": round(seconds, 1),
            "hits_per_s": round((cursor.folded - before) / seconds) if seconds else None,
            "all_folded": cursor.last_hit_id == (Hit.objects.aggregate(m=Max("id"))["m"] or 0),
            "all_counted": counted.last_hit_id == cursor.last_hit_id,
            "left_to_rescore": PendingRescore.objects.count(),
            "duplicates": twice,
            "hits_table_mb": round(size / 2**20, 1),
            "valid": cursor.folded - before == waiting and counted.last_hit_id == cursor.last_hit_id and twice == 0,
        }
    }


def fold_process() -> dict:
    """One of the worker's pool processes: the beat's task, run again as soon as it returns (the
    beat sends it every 2 seconds), until no hit waits and no lead waits for its rescore."""
    from tracking.fold import COUNTING, folded_up_to
    from tracking.models import Hit, PendingRescore
    from tracking.tasks import bulk_fold_hits

    folded = rescored = 0
    ready = last_fold = time.monotonic()
    while True:
        started = time.monotonic()
        run = bulk_fold_hits()
        folded, rescored = folded + run["folded"], rescored + run["rescored"]
        if run["folded"] or run["counted"]:
            last_fold = started + run["seconds_folding"]
        if run["folded"] or run["counted"] or run["rescored"]:
            continue
        waiting = Hit.objects.filter(id__gt=min(folded_up_to(), folded_up_to(COUNTING))).exists()
        if not waiting and not PendingRescore.objects.exists():
            return {"folded": folded, "rescored": rescored, "ready": ready, "last_fold": last_fold}
        time.sleep(2)  # the other process holds the fold and the marks wait for it: the beat's next run


def panel(lead_id: int, runs: int = 300) -> dict:
    """What the lead page's engagement panel reads (since our last contact, the e-mails sent) for
    a lead with PANEL_HITS hits, timed in this process: the database and the Python together."""
    from leads.models import Lead
    from tracking.selectors import emails_of, engagement

    lead = Lead.objects.get(pk=lead_id)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        engagement(lead)
        emails_of(lead)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "engagement_panel": {
            "hits": PANEL_HITS,
            "runs": runs,
            "p50_ms": round(statistics.median(timings), 2),
            "p99_ms": round(timings[int(runs * 0.99) - 1], 2),
            "valid": engagement(lead).opens > 0,
        }
    }


if __name__ == "__main__":
    _django()
    command = sys.argv[1]
    if command in ("setup", "setup-new"):
        print(json.dumps(setup(new=command == "setup-new")))
    elif command in ("fold", "fold-new"):
        print(json.dumps(fold(new=command == "fold-new")))
    elif command == "fold-process":
        print(json.dumps(fold_process()))
    else:
        print(json.dumps(panel(int(sys.argv[2]))))
