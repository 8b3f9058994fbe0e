"""E-mail opens and clicks folded set-based, in SQL: the bulk of all hits, never a row in Python.

Two passes over the same hits, each with its own cursor and transaction (tracking.fold), so a
worker's two processes run them side by side, one a batch behind the other:

`score(after, upto)`, with ids in (after, upto]:
1. `fold_link_hits`: each hit with its link, judged a machine's by what its request gave away
   (`Hit.machine`) or by hindsight: an e-mail not sent yet or sent seconds before
   (CRM_TRACKING_MACHINE_SECONDS: the receiving server's scanner), or a click on two or more
   links of one e-mail in the same second (a scanner following every link).
2. `fold_scored`: the marks a person's hits take, the first in id order of each: an e-mail's open
   once a day (a click implies it), a link's click once a day, unless `ScoredMark` holds it
   already. Stored in `ScoredMark`, with the hit that took it.
3. `fold_new`: the interactions those marks give (`email_open`, `email_click`), for a contact we
   may follow (agreed to marketing, not asked us to stay away, not erased); written, and their
   leads marked for one rescore each (tracking.engaged).

`count(after, upto)`, over hits already scored: `fold_link_hits` again, then the counters, one
upsert each, in key order: per e-mail, letter and offer (`Tally`: people's and machines' opens
and clicks), then per lead and hour (`LeadActivity`: people's opens and clicks). A click that
took its e-mail's open mark (its `ScoredMark`) is an open too.

The scratch tables are temporary and dropped at the end; a rollback drops them too.
Scans (a letter's answer, through leads.codes) and page views (sessions) stay in tracking.fold.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.utils import timezone

from leads.kinds import InteractionKind
from tracking.models import HitKind, Scope

KINDS = (HitKind.OPEN, HitKind.CLICK)  # the hits folded here
SCRATCH = ("fold_new", "fold_scored", "fold_link_hits")

# What differs between PostgreSQL and SQLite (where datetimes are text: Django's raw writes,
# as the doors' and the fold's, end in "+00:00", so an hour is written the same way here).
VENDOR = {
    "postgresql": {
        "day": "to_char(h.at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        "hour": "date_trunc('hour', h.at, 'UTC')",
        "second": "date_trunc('second', h.at)",
        "too_soon": "h.at < e.sent_at + make_interval(secs => %(machine_seconds)s)",
        "open_metadata": "jsonb_build_object('email', f.email_key)",
        "click_metadata": "CASE WHEN f.email_key <> '' THEN jsonb_build_object('link', f.url, 'email', f.email_key) "
        "ELSE jsonb_build_object('link', f.url) END",
        "newest": "GREATEST",
        "false": "false",
        "temporary": "pg_temp",
    },
    "sqlite": {
        "day": "substr(h.at, 1, 10)",
        "hour": "substr(h.at, 1, 13) || ':00:00+00:00'",
        "second": "substr(h.at, 1, 19)",
        "too_soon": "julianday(h.at) < julianday(e.sent_at) + %(machine_seconds)s / 86400.0",
        "open_metadata": "json_object('email', f.email_key)",
        "click_metadata": "CASE WHEN f.email_key <> '' THEN json_object('link', f.url, 'email', f.email_key) "
        "ELSE json_object('link', f.url) END",
        "newest": "MAX",
        "false": "0",
        "temporary": "temp",
    },
}

LINK_HITS = """
CREATE TEMPORARY TABLE fold_link_hits AS
SELECT h.id, h.at, h.kind, l.id AS link_id, l.lead_id, l.email_key, l.letter_id, l.offer_id, l.url,
       {day} AS day, {hour} AS hour,
       CASE WHEN h.machine <> '' THEN 1
            WHEN l.email_key <> '' AND (e.sent_at IS NULL OR {too_soon}) THEN 1
            WHEN h.kind = 'click' AND l.email_key <> ''
                 AND MIN(l.id) OVER same_second <> MAX(l.id) OVER same_second THEN 1
            ELSE 0 END AS machine
FROM tracking_hit h
JOIN tracking_trackedlink l ON l.id = h.link_id
LEFT JOIN outbox_email e ON e.key = l.email_key AND l.email_key <> ''
WHERE h.id > %(after)s AND h.id <= %(upto)s AND h.kind IN ('open', 'click'){only}
WINDOW same_second AS (PARTITION BY l.email_key, h.kind, {second})
"""

# The first person's hit in id order of each mark this batch could take, unless it is taken.
SCORED = """
CREATE TEMPORARY TABLE fold_scored AS
SELECT key, id, what FROM (
    SELECT key, id, what, ROW_NUMBER() OVER (PARTITION BY key ORDER BY id) AS nth FROM (
        SELECT substr('o:' || email_key || ':' || day, 1, 120) AS key, id, 'open' AS what
        FROM fold_link_hits WHERE machine = 0 AND lead_id IS NOT NULL AND email_key <> ''
        UNION ALL
        SELECT substr('c:' || link_id || ':' || day, 1, 120), id, 'click'
        FROM fold_link_hits WHERE machine = 0 AND lead_id IS NOT NULL AND kind = 'click'
    ) AS candidates
) AS ranked
WHERE nth = 1 AND NOT EXISTS (SELECT 1 FROM tracking_scoredmark m WHERE m.key = ranked.key)
"""

MARKS = "INSERT INTO tracking_scoredmark (key, day, hit_id) SELECT key, %(today)s, id FROM fold_scored"

NEW = """
CREATE TEMPORARY TABLE fold_new AS
SELECT f.id, f.lead_id, f.at, f.offer_id,
       CASE WHEN s.what = 'open' THEN %(open)s ELSE %(click)s END AS kind,
       CASE WHEN s.what = 'open' THEN {open_metadata} ELSE {click_metadata} END AS metadata
FROM fold_scored s
JOIN fold_link_hits f ON f.id = s.id
JOIN leads_lead ld ON ld.id = f.lead_id
JOIN crm_contact c ON c.id = ld.contact_id
WHERE c.erased_at IS NULL AND c.consent AND NOT c.do_not_contact
"""

INTERACTIONS = """
INSERT INTO leads_interaction (lead_id, kind, occurred_at, metadata, offer_id, note, answers, created_at)
SELECT lead_id, kind, at, metadata, offer_id, '', '[]', %(now)s FROM fold_new ORDER BY id, kind DESC
"""

PENDING = """
INSERT INTO tracking_pendingrescore (lead_id, last_activity_at, scanned)
SELECT lead_id, MAX(at), {false} FROM fold_new WHERE true GROUP BY lead_id
ON CONFLICT (lead_id) DO UPDATE SET
    last_activity_at = {newest}(tracking_pendingrescore.last_activity_at, excluded.last_activity_at)
"""

# One row a hit: what it adds to each count. A click that took its e-mail's open mark (the score
# pass wrote it, with the hit's id) is an open too.
COUNTS = """
SELECT f.*,
       CASE WHEN f.kind = 'open' AND f.machine = 0 THEN 1 ELSE 0 END
       + CASE WHEN m.hit_id IS NOT NULL THEN 1 ELSE 0 END AS human_opens,
       CASE WHEN f.kind = 'open' AND f.machine = 1 THEN 1 ELSE 0 END AS machine_opens,
       CASE WHEN f.kind = 'click' AND f.machine = 0 THEN 1 ELSE 0 END AS clicks,
       CASE WHEN f.kind = 'click' AND f.machine = 1 THEN 1 ELSE 0 END AS machine_clicks
FROM fold_link_hits f
LEFT JOIN tracking_scoredmark m ON f.kind = 'click' AND f.machine = 0 AND f.lead_id IS NOT NULL
     AND f.email_key <> '' AND m.key = substr('o:' || f.email_key || ':' || f.day, 1, 120) AND m.hit_id = f.id
"""

TALLY = f"""
WITH c AS ({COUNTS})
INSERT INTO tracking_tally (scope, ref, human_opens, machine_opens, clicks, machine_clicks, scans, forwards)
SELECT scope, ref, SUM(human_opens), SUM(machine_opens), SUM(clicks), SUM(machine_clicks), 0, 0 FROM (
    SELECT '{Scope.EMAIL}' AS scope, email_key AS ref, human_opens, machine_opens, clicks, machine_clicks
    FROM c WHERE email_key <> ''
    UNION ALL
    SELECT '{Scope.LETTER}', CAST(letter_id AS TEXT), human_opens, machine_opens, clicks, machine_clicks
    FROM c WHERE letter_id IS NOT NULL
    UNION ALL
    SELECT '{Scope.OFFER}', CAST(offer_id AS TEXT), human_opens, machine_opens, clicks, machine_clicks
    FROM c WHERE offer_id IS NOT NULL
) AS scoped WHERE true GROUP BY scope, ref ORDER BY scope, ref
ON CONFLICT (scope, ref) DO UPDATE SET
    human_opens = tracking_tally.human_opens + excluded.human_opens,
    machine_opens = tracking_tally.machine_opens + excluded.machine_opens,
    clicks = tracking_tally.clicks + excluded.clicks,
    machine_clicks = tracking_tally.machine_clicks + excluded.machine_clicks
"""

ACTIVITY = f"""
INSERT INTO tracking_leadactivity (lead_id, hour, opens, machine_opens, clicks, scans, forwards, visits, pages, seconds)
SELECT lead_id, hour, SUM(human_opens), SUM(machine_opens), SUM(clicks), 0, 0, 0, 0, 0
FROM ({COUNTS}) AS c WHERE lead_id IS NOT NULL GROUP BY lead_id, hour
HAVING SUM(human_opens) + SUM(machine_opens) + SUM(clicks) > 0 ORDER BY lead_id, hour
ON CONFLICT (lead_id, hour) DO UPDATE SET
    opens = tracking_leadactivity.opens + excluded.opens,
    machine_opens = tracking_leadactivity.machine_opens + excluded.machine_opens,
    clicks = tracking_leadactivity.clicks + excluded.clicks
"""

# Rows are upserted in key order, Tally before LeadActivity, as every writer of counters does
# (tracking.fold.write_tally, count_forward): two writers of the same counters wait, never deadlock.
SCORING = (LINK_HITS, SCORED, MARKS, NEW, INTERACTIONS, PENDING)
COUNTING = (LINK_HITS, TALLY, ACTIVITY)


def score(after: int, upto: int) -> None:
    """Score the open and click hits with ids in (after, upto]: marks, interactions, rescore
    marks. Called inside the score pass's transaction, which moves its cursor past them."""
    _run(SCORING, after, upto)


def count(after: int, upto: int, *, links: list[int] | None = None) -> None:
    """Count the open and click hits with ids in (after, upto], scored already, per e-mail, letter,
    offer and lead-hour (only those of `links`, if given: an erased contact's, counted before
    their hits are deleted). Called inside the count pass's transaction, which moves its cursor."""
    if links is not None and not links:
        return
    _run(COUNTING, after, upto, links)


def _run(statements: tuple[str, ...], after: int, upto: int, links: list[int] | None = None) -> None:
    # A link's hits all belong to one e-mail, so counting only some links' hits judges them by the
    # same neighbours (a scanner's clicks in one second on one e-mail) as counting all of them.
    only = f" AND h.link_id IN ({', '.join(str(int(pk)) for pk in links)})" if links else ""
    sql = VENDOR[connection.vendor] | {"only": only}
    params = {
        "after": after,
        "upto": upto,
        "machine_seconds": settings.CRM_TRACKING_MACHINE_SECONDS,
        "today": timezone.localdate(),
        "now": timezone.now(),
        "open": InteractionKind.EMAIL_OPEN.value,
        "click": InteractionKind.EMAIL_CLICK.value,
    }
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement.format(**sql), params)
        _drop_scratch(cursor, sql["temporary"])


def _drop_scratch(cursor, schema: str) -> None:
    """Drop the scratch tables, named in the temporary schema (never a table of the same name)."""
    for table in SCRATCH:
        cursor.execute(f"DROP TABLE IF EXISTS {schema}.{table}")
