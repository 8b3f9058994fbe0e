"""Engagement tracking at volume: a campaign's hits generated in SQL (PostgreSQL), then folded.

`generate_hits(leads, hits)` gives `leads` new leads (bench.scoring.generate_leads) one sent
e-mail each, with its open image and two links, and appends `hits` raw hits on them over the
last week, most in its first days, as a campaign's opens and clicks arrive: every lead's hits
interleaved in time, one open to two clicks, four in ten from machines (Apple's privacy proxy
alone fetches about half of all open images). Nothing is folded.
"""

from __future__ import annotations

import os
import time

SCANNER = "Mozilla/5.0 (Windows NT 10.0) Microsoft Office/16.0"
BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15"


def generate_hits(leads: int, hits: int) -> dict:
    from django.db import connection

    from bench.scoring import generate_leads

    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM leads_lead")
        first_lead = cursor.fetchone()[0]
    generate_leads(leads)
    tag = os.urandom(4).hex()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO outbox_email (key, to_address, reply_to, subject, text, html, created_at, sent_at, "
            "attempts, last_error) "
            f"SELECT 'bench-{tag}:' || l.id, 'bench@bench.example', '', 'Spring offer', 'text', '', "
            "now() - interval '31 days', now() - interval '31 days', 1, '' FROM leads_lead l WHERE l.id > %s",
            [first_lead],
        )
        cursor.execute(
            "INSERT INTO tracking_trackedlink (purpose, url, lead_id, email_key, created_at) "
            f"SELECT p.purpose, p.url, l.id, 'bench-{tag}:' || l.id, now() FROM leads_lead l CROSS JOIN "
            "(VALUES ('open', ''), ('click', 'https://www.example.com/a'), ('click', 'https://www.example.com/b')) "
            "AS p(purpose, url) WHERE l.id > %s",
            [first_lead],
        )
        cursor.execute("SELECT MIN(id), MAX(id) FROM tracking_trackedlink WHERE email_key LIKE %s", [f"bench-{tag}:%"])
        low, high = cursor.fetchone()
        cursor.execute(
            "INSERT INTO tracking_hit (at, kind, link_id, visitor, url, referrer, agent, network, machine) "
            "SELECT now() - (power(random(), 3) * interval '1 day'), t.purpose, t.id, '', '', '', "
            "CASE WHEN g %% 10 < 4 THEN %(scanner)s ELSE %(browser)s END, '198.51.100.0', "
            "CASE WHEN g %% 10 < 4 THEN 'scanner or preview' ELSE '' END "
            "FROM generate_series(1, %(hits)s) AS g "
            "JOIN tracking_trackedlink t ON t.id = %(low)s + (g::bigint * 7919) %% (%(high)s - %(low)s + 1) "
            "ORDER BY g",
            {"low": low, "high": high, "hits": hits, "scanner": SCANNER, "browser": BROWSER},
        )
        cursor.execute("ANALYZE tracking_hit; ANALYZE tracking_trackedlink; ANALYZE outbox_email")
    return {"leads": leads, "hits": hits, "links": high - low + 1}


def fold_rate(leads: int, hits: int) -> dict:
    """Generate, then fold everything in this process (one worker's work), timed."""
    from django.db.models import Count

    from leads.models import Interaction
    from tracking.fold import fold_all
    from tracking.models import FoldCursor

    generated = generate_hits(leads, hits)
    started = time.perf_counter()
    folded = fold_all()
    seconds = time.perf_counter() - started
    cursor = FoldCursor.objects.get(pk=1)
    twice = (
        Interaction.objects.filter(kind__in=["email_open", "email_click"])
        .values("lead_id", "kind", "occurred_at")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    return {
        **generated,
        "folded": folded,
        "seconds": round(seconds, 1),
        "hits_per_second": round(folded / seconds) if seconds else None,
        "cursor": cursor.folded,
        "duplicates": twice,
    }
