"""Folding raw hits into what sales and the score see, in bounded batches, each hit exactly once.

`fold_batch()` is one transaction: it locks the one `FoldCursor` row, takes the next hits after
it (at most CRM_TRACKING_FOLD_BATCH, in id order), and writes everything they mean:

- e-mail opens and clicks, the bulk of all hits: set-based in SQL (tracking.opens_and_clicks),
  judged person or machine, counted per e-mail, letter and offer (`Tally`) and per lead and hour
  (`LeadActivity`); a person's open scores once per e-mail per day (`ScoredMark`), a click once
  per link per day and implies an open;
- QR scans: counted alike; a person's scores once per letter per day and answers the letter as
  its typed code would (leads.codes.record_response);
- page views: one `Visit` per session per visitor, folded into one `web_visit` interaction (pages,
  seconds, return visit) once the visitor is known;
- the leads that got an interaction: locked in id order, their last activity moved, a scanned
  list name or unclosed lead brought back as an inquiry, each rescored once for the whole batch,
  their stages settled; an owner hears when their lead turned hot from engagement alone.

and moves the cursor past those hits. A worker killed mid-batch rolls it all back, cursor
included, so the next run folds the same hits once (tests/integration/test_tracking_fold.py).

Ids come from one sequence, so a hole in them is a hit still being written (or one rolled back):
a batch stops before a hole younger than GAP_WAIT, so a slow INSERT is never stepped over.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from config import bulk
from leads import codes
from leads.kinds import InteractionKind
from leads.models import Interaction, Lead
from tracking import engaged, opens_and_clicks, tokens
from tracking.models import (
    FoldCursor,
    Hit,
    HitKind,
    LeadActivity,
    Scope,
    ScoredBatch,
    ScoredMark,
    Tally,
    TrackedLink,
    Visit,
    Visitor,
)

GAP_WAIT = timedelta(seconds=30)
HIT_FIELDS = ("id", "at", "kind", "link_id", "visitor", "url", "seconds", "network", "machine", "site_key_id")
MAX_PAGE_SECONDS = 4 * 3600
ACTIVITY_FIELDS = ("opens", "machine_opens", "clicks", "scans", "forwards", "visits", "pages", "seconds")
TALLY_FIELDS = ("human_opens", "machine_opens", "clicks", "machine_clicks", "scans", "forwards")


SCORING, COUNTING = 1, 2  # the two FoldCursor rows: the score pass's and the count pass's


def fold_batch(limit: int | None = None) -> int:
    """Fold the next batch of hits (the score pass; their opens and clicks are counted after it,
    by `count_batch`); returns how many hits it folded (0: nothing to do, or another fold holds
    the cursor)."""
    limit = limit or settings.CRM_TRACKING_FOLD_BATCH
    with transaction.atomic():
        cursor = _skip_or_hold(SCORING)
        if cursor is None:
            return 0  # another fold is running
        bulk.commit_without_waiting_for_disk()  # a batch lost in a crash is folded again
        after = cursor.last_hit_id
        upto, count = _batch_end(after, limit, timezone.now())
        if count:
            opens_and_clicks.score(after, upto)
            rest = Hit.objects.filter(id__gt=after, id__lte=upto).exclude(kind__in=opens_and_clicks.KINDS)
            Batch(list(rest.order_by("id").values(*HIT_FIELDS))).fold()
            ScoredBatch.objects.create(after=after, upto=upto, hits=count)
            _move(cursor, upto, count)
    with transaction.atomic():  # its own round of counters: see join_known_visits
        if _skip_or_hold(SCORING) is not None:
            bulk.commit_without_waiting_for_disk()  # lost, the visits are still unjoined: joined again
            join_known_visits()
    return count


def count_batch() -> int:
    """Count the next batch the score pass has folded, the same hits (their opens and clicks per
    e-mail, letter, offer and lead-hour: tracking.opens_and_clicks.count); returns how many hits it
    went past (0: none waiting, or another count holds its cursor). Apart from the score pass so
    that a worker's second process counts one batch while the first scores the next."""
    with transaction.atomic():
        cursor = _skip_or_hold(COUNTING)
        if cursor is None:
            return 0
        bulk.commit_without_waiting_for_disk()  # a batch lost in a crash is counted again
        batch = ScoredBatch.objects.filter(upto__gt=cursor.last_hit_id).order_by("upto").first()
        if batch is None:
            return 0
        # The batch's own range: hits the score pass folded without recording a batch (a worker
        # of the single-pass fold still running after the upgrade) were counted by it.
        opens_and_clicks.count(max(batch.after, cursor.last_hit_id), batch.upto)
        ScoredBatch.objects.filter(upto__lte=batch.upto).delete()
        _move(cursor, batch.upto, batch.hits)
    return batch.hits


def count_before_erasure(link_ids: list[int]) -> None:
    """Count the opens and clicks of these links (an erased contact's) that the score pass folded
    and the count pass has not reached, batch by batch as it would: erasure deletes the hits, and
    their counts are kept. The caller holds both cursors (hold_cursor)."""
    if not link_ids:
        return
    after = folded_up_to(COUNTING)
    for batch in ScoredBatch.objects.filter(upto__gt=after).order_by("upto"):
        opens_and_clicks.count(max(batch.after, after), batch.upto, links=link_ids)
        after = batch.upto


def _skip_or_hold(pk: int) -> FoldCursor | None:
    """A cursor row-locked for this transaction, made if missing; None if another holds it."""
    cursor = FoldCursor.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
    if cursor is None and not FoldCursor.objects.filter(pk=pk).exists():
        cursor = _hold(pk)
    return cursor


def _hold(pk: int) -> FoldCursor:
    """A cursor made if missing, then row-locked for this transaction (waiting for its holder)."""
    FoldCursor.objects.get_or_create(pk=pk)
    return FoldCursor.objects.select_for_update().get(pk=pk)


def _move(cursor: FoldCursor, upto: int, count: int) -> None:
    cursor.last_hit_id = upto
    cursor.folded += count
    cursor.updated_at = timezone.now()
    cursor.save()


def hold_cursor() -> None:
    """Both cursors, row-locked for the caller's transaction (waiting for the batches that hold
    them: the score pass's, then the count pass's), made first if no fold ever ran: erasure,
    which must not run beside a batch."""
    for pk in (SCORING, COUNTING):
        _hold(pk)


def folded_up_to(pk: int = SCORING) -> int:
    """The id of the last hit folded by the score pass (or counted: COUNTING); 0 before the first."""
    return FoldCursor.objects.filter(pk=pk).values_list("last_hit_id", flat=True).first() or 0


def scoring_now() -> bool:
    """Whether a score pass's batch is running (its cursor row is locked): its hits will be
    there to count when it commits."""
    with transaction.atomic():
        return (
            FoldCursor.objects.filter(pk=SCORING).exists()
            and FoldCursor.objects.select_for_update(skip_locked=True).filter(pk=SCORING).first() is None
        )


def behind() -> bool:
    """Whether the fold is working through a backlog: a whole batch of hits and more waits."""
    return Hit.objects.filter(id__gt=folded_up_to() + settings.CRM_TRACKING_FOLD_BATCH).exists()


def marked_before() -> datetime | None:
    """Which marks a rescore takes now: every one (None) once the fold has caught up. While it
    works through a backlog, its leads are marked again batch after batch, so a rescore now would
    be done again; a mark then waits for the backlog to be folded (each lead is rescored once),
    unless it has waited CRM_TRACKING_RESCORE_WAIT already: a long flood delays scores, never
    stops them."""
    if not behind():
        return None
    return timezone.now() - timedelta(seconds=settings.CRM_TRACKING_RESCORE_WAIT)


# The tables a flood of hits grows by hundreds of thousands of rows, which pages read by plans
# that depend on their statistics (the queue's engagement column, the lead page's panel).
GROWN_BY_THE_FOLD = ("tracking_leadactivity", "tracking_tally", "tracking_scoredmark")


def analyze_grown() -> list[str]:
    """ANALYZE those of GROWN_BY_THE_FOLD that changed by a fifth (and a thousand rows) since they
    were last analyzed, on PostgreSQL; returns which. Autovacuum would, but behind a flood its
    few workers may be busy elsewhere for many minutes, and meanwhile a table filled from empty
    has no statistics at all: the queue's engagement query, guessing 75,000 rows for a page of
    leads, went parallel and took 13 ms instead of 1 (docs/performance.md, session 30). A table
    autovacuum is analyzing right now is skipped (SKIP_LOCKED)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        if connection.pg_version >= 150000:  # this process's own writes counted now, not within a second
            cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relname = ANY(%s) "
            "AND n_mod_since_analyze > GREATEST(1000, n_live_tup / 5) ORDER BY relname",
            [list(GROWN_BY_THE_FOLD)],
        )
        grown = [row[0] for row in cursor.fetchall()]
        for table in grown:
            cursor.execute(f"ANALYZE (SKIP_LOCKED) {connection.ops.quote_name(table)}")
    return grown


def fold_all(limit: int | None = None) -> int:
    """Fold and count until nothing is left, then rescore every lead it touched (tests, the bench,
    `manage.py fold_hits`); the worker does the same a bounded run at a time."""
    total = 0
    while folded := fold_batch(limit):
        total += folded
    while count_batch():
        pass
    engaged.rescore_all()
    return total


def among(values) -> list | RawSQL:
    """The right side of an `__in` over thousands of values: on PostgreSQL one array parameter
    (Django's list costs a parameter, and Python time, per value), elsewhere the list."""
    values = list(values)
    if connection.vendor != "postgresql" or not values:
        return values
    kind = "bigint" if isinstance(values[0], int) else "text"
    return RawSQL(f"SELECT unnest(%s::{kind}[])", (values,))


# The next `limit` hits' ids: where a step between two is more than one (a hole: a hit still
# being written, or one rolled back), with the time of the hit after it, and the last one.
BATCH_END = f"""
SELECT id, at, step, n, total FROM (
    SELECT id, at, id - LAG(id, 1, %(after)s) OVER (ORDER BY id) AS step,
           ROW_NUMBER() OVER (ORDER BY id) AS n, COUNT(*) OVER () AS total
    FROM (SELECT id, at FROM {Hit._meta.db_table} WHERE id > %(after)s ORDER BY id LIMIT %(limit)s) AS waiting
) AS steps
WHERE step <> 1 OR n = total ORDER BY id
"""


def _batch_end(after: int, limit: int, now: datetime) -> tuple[int, int]:
    """The last hit id of the next batch and how many hits it holds (0: none): the next `limit`
    hits, up to the first hole in their ids younger than GAP_WAIT (an INSERT below that id may
    still commit: wait for it). Before the very first fold (`after` 0) nothing says where the ids
    begin, so the first hit is taken as it is. The database finds the holes: the batch's ids are
    not read into Python."""
    with connection.cursor() as cursor:
        cursor.execute(BATCH_END, {"after": after, "limit": limit})
        rows = cursor.fetchall()
    if not rows:
        return after, 0
    for pk, at, step, n, _total in rows:
        if step != 1 and (after or n > 1) and now - _aware(at) < GAP_WAIT:
            return pk - step, n - 1
    pk, _at, _step, n, _total = rows[-1]
    return pk, n


def _aware(at) -> datetime:
    """A time from a raw query: SQLite gives text (naive when the ORM wrote it, in UTC)."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if timezone.is_aware(at) else timezone.make_aware(at, UTC)


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


class NewInteraction(NamedTuple):
    """An interaction the fold will write (plain values: model instances cost more than the rows)."""

    lead_id: int
    kind: str
    occurred_at: datetime
    metadata: dict
    offer_id: int | None = None


@dataclass
class Link:
    id: int
    purpose: str
    lead_id: int | None
    email_key: str
    letter_id: int | None
    offer_id: int | None
    url: str
    letter_code: str | None
    followable: bool = False  # its contact agreed to marketing and did not ask us to stay away


class _Marks(set):
    """The marks known ("this e-mail's open already scored that day"), and the ones this batch
    adds (written at its end)."""

    def __init__(self, existing=()):
        super().__init__(existing)
        self.added = []

    def add(self, key):
        if key not in self:
            self.added.append(key)
        super().add(key)


@dataclass
class Batch:
    """One batch of hits and what it adds up to, written at the end of `fold`."""

    rows: list[dict]
    interactions: list[NewInteraction] = field(default_factory=list)
    activity: dict = field(default_factory=lambda: defaultdict(lambda: dict.fromkeys(ACTIVITY_FIELDS, 0)))
    tally: dict = field(default_factory=lambda: defaultdict(lambda: dict.fromkeys(TALLY_FIELDS, 0)))
    last_activity: dict = field(default_factory=dict)  # lead id -> its newest new interaction's time
    scanned_leads: set = field(default_factory=set)
    marks: _Marks = field(default_factory=_Marks)
    pending_visits: list = field(default_factory=list)  # visits of known visitors: their web_visit to write
    identified: dict = field(default_factory=dict)  # visitor id -> the lead a tracked link named

    def fold(self) -> None:
        scan_hits = [row for row in self.rows if row["kind"] == HitKind.SCAN]
        # A crawler's or a headless browser's page view is kept raw, never a visit (its "leave"
        # then finds no visit to add to; a person's own "leave" counts whatever agent sent it).
        page_hits = [
            row
            for row in self.rows
            if row["kind"] == HitKind.LEAVE or (row["kind"] == HitKind.VIEW and not row["machine"])
        ]
        self.links = _links({row["link_id"] for row in scan_hits} | _tokens_in(page_hits))
        if scan_hits:
            self._fold_scans(scan_hits)
        if page_hits:
            self._fold_pages(page_hits)
        write_interactions(self)
        write_tally(self.tally)  # before the activity, in key order: as the count pass writes them
        write_activity(self.activity)
        write_marks(self.marks.added)

    # --- QR scans (opens and clicks: tracking.opens_and_clicks) ---------------------------------

    def _fold_scans(self, scan_hits: list[dict]) -> None:
        """A person's scan is counted for its letter and offer and in its lead's hour, and scores
        once per letter per day, answering the letter as its typed code would; a scanner's scan
        is no scan at all."""
        self.marks = _marks(scan_hits, self.links)
        for row in scan_hits:
            link = self.links.get(row["link_id"])
            if link is None or row["machine"]:
                continue  # a link that is gone (its contact erased), or a machine's: nothing is recorded
            for scope, ref in scopes(link):
                self.tally[(scope, ref)]["scans"] += 1
            if link.lead_id is None:
                continue
            self.activity[(link.lead_id, _hour(row["at"]))]["scans"] += 1
            key = _scan_mark(link.id, row["at"])
            if key not in self.marks:
                self.marks.add(key)
                self._scan(link, row, {"link": link.url} | ({"email": link.email_key} if link.email_key else {}))

    def _scan(self, link: Link, row: dict, metadata: dict) -> None:
        code = codes.resolve(link.letter_code) if link.letter_code else codes.NO_CODE
        if code.letter is not None:
            metadata = codes.record_response(code, metadata, at=row["at"]) or metadata
        self.scanned_leads.add(link.lead_id)
        self._interaction(link, InteractionKind.QR_SCAN, row["at"], metadata)

    def _interaction(self, link: Link, kind: str, at: datetime, metadata: dict) -> None:
        self.interactions.append(NewInteraction(link.lead_id, kind, at, metadata, link.offer_id))
        self.last_activity[link.lead_id] = max(at, self.last_activity.get(link.lead_id, at))

    # --- page views -----------------------------------------------------------------------------

    def _fold_pages(self, page_hits: list[dict]) -> None:
        visitors = _visitors(page_hits)
        latest = _latest_visits(list(visitors.values()))
        session = timedelta(minutes=settings.CRM_TRACKING_SESSION_MINUTES)
        before = {id(visit): (visit.pages, visit.seconds) for visit in latest.values()}
        touched: dict[int, Visit] = {}
        for row in page_hits:
            visitor = visitors[row["visitor"]]
            self._identify(visitor, row)
            visit = latest.get(visitor.pk)
            if visit is not None and row["at"] - visit.last_hit_at > session:
                visit = None
            if row["kind"] == HitKind.VIEW:
                if visit is None:
                    visit = _new_visit(visitor, row, returning=visitor.pk in latest)
                    latest[visitor.pk] = visit
                    before[id(visit)] = (0, 0)
                visit.pages += 1
            elif visit is None:
                continue  # a "leave" whose page view was long ago: nothing to add it to
            _add_seconds(visit, row)
            visit.last_hit_at = max(visit.last_hit_at, row["at"])
            touched[id(visit)] = visit
            visitor.last_seen_at = max(visitor.last_seen_at, row["at"])
        new = [visit for visit in touched.values() if visit.pk is None]
        old = [visit for visit in touched.values() if visit.pk is not None]
        Visit.objects.bulk_create(new)
        Visit.objects.bulk_update(old, ["pages", "seconds", "page_seconds", "last_hit_at"], batch_size=500)
        Visitor.objects.bulk_update(list(visitors.values()), ["last_seen_at"], batch_size=500)
        for visitor_id, lead_id in self.identified.items():  # unless a form named them meanwhile
            Visitor.objects.filter(pk=visitor_id, lead__isnull=True).update(lead_id=lead_id)
        for key, visit in touched.items():
            if visit.visitor.lead_id is not None:
                pages, seconds = before[key]
                self._visit_seen(
                    visit, visit.visitor.lead_id, pages=visit.pages - pages, seconds=visit.seconds - seconds
                )

    def _identify(self, visitor: Visitor, row: dict) -> None:
        """A page reached through a tracked link (crm_t=<token> in its address) names its lead, if
        its contact agreed to marketing (tracking.visitors.identify says why)."""
        if visitor.lead_id is not None:
            return
        token = _token_of(row["url"])
        link_id = tokens.read(token, tokens.CLICK) if token else None
        link = self.links.get(link_id) if link_id else None
        if link is not None and link.lead_id is not None and link.followable:
            visitor.lead_id = link.lead_id
            self.identified[visitor.pk] = link.lead_id

    def _visit_seen(self, visit: Visit, lead_id: int, *, pages: int, seconds: int) -> None:
        bucket = self.activity[(lead_id, _hour(visit.started_at))]
        if visit.lead_id is None:  # joining now: the whole visit counts, its earlier pages included
            visit.lead_id = lead_id
            bucket["visits"] += 1
            pages, seconds = visit.pages, visit.seconds
        bucket["pages"] += pages
        bucket["seconds"] += seconds
        # The lead was last active when its newest interaction (this web_visit) happened.
        self.last_activity[lead_id] = max(visit.started_at, self.last_activity.get(lead_id, visit.started_at))
        self.pending_visits.append(visit)


def _new_visit(visitor: Visitor, row: dict, *, returning: bool) -> Visit:
    query = parse_qs(urlsplit(row["url"]).query)
    source = (query.get("utm_source") or [""])[0][:100]
    return Visit(
        visitor=visitor,
        started_at=row["at"],
        last_hit_at=row["at"],
        landing_url=_without_token(row["url"])[:1000],
        utm_source=source,
        return_visit=returning,
        page_seconds={},
    )


def _add_seconds(visit: Visit, row: dict) -> None:
    if row["seconds"] is None:
        return
    page = _without_token(row["url"])[:300]
    seconds = min(row["seconds"], MAX_PAGE_SECONDS)
    if seconds > visit.page_seconds.get(page, 0):
        visit.page_seconds[page] = seconds
        visit.seconds = sum(visit.page_seconds.values())


TOKEN_PARAM = re.compile(r"[?&]crm_t=([0-9A-Za-z]{12,24})")


def _token_of(url: str) -> str:
    match = TOKEN_PARAM.search(url or "")
    return match.group(1) if match else ""


def _without_token(url: str) -> str:
    return re.sub(r"([?&])crm_t=[0-9A-Za-z]*&?", r"\1", url or "").rstrip("?&")


def _tokens_in(page_hits: list[dict]) -> set[int]:
    ids = set()
    for row in page_hits:
        token = _token_of(row["url"])
        link_id = tokens.read(token, tokens.CLICK) if token else None
        if link_id is not None:
            ids.add(link_id)
    return ids


def _visitors(page_hits: list[dict]) -> dict[str, Visitor]:
    wanted = {row["visitor"]: row for row in page_hits}
    found = {visitor.token: visitor for visitor in Visitor.objects.filter(token__in=among(wanted))}
    missing = [
        Visitor(token=token, site_key_id=row["site_key_id"], first_seen_at=row["at"], last_seen_at=row["at"])
        for token, row in wanted.items()
        if token not in found
    ]
    Visitor.objects.bulk_create(missing)
    found.update({visitor.token: visitor for visitor in missing})
    return found


def _latest_visits(visitors: list[Visitor]) -> dict[int, Visit]:
    by_id = {visitor.pk: visitor for visitor in visitors}
    newest = (
        Visit.objects.filter(visitor_id__in=list(by_id))
        .values("visitor_id")
        .annotate(newest=Max("id"))
        .values("newest")
    )
    latest = {}
    for visit in Visit.objects.filter(pk__in=newest):
        visit.visitor = by_id[visit.visitor_id]
        latest[visit.visitor_id] = visit
    return latest


# --- links, e-mails and the machine rules -----------------------------------------------------


def _links(ids: set[int]) -> dict[int, Link]:
    if not ids:
        return {}
    rows = (
        TrackedLink.objects.filter(pk__in=among(ids))
        .values_list("pk", "purpose", "lead_id", "email_key", "letter_id", "offer_id", "url", "letter__code")
        .annotate(followable=Q(lead__contact__consent=True, lead__contact__do_not_contact=False))
    )
    return {row[0]: Link(*row) for row in rows}


def scopes(link: Link):
    """The counts a hit on this link adds to: its e-mail's, its letter's, its offer's."""
    if link.email_key:
        yield Scope.EMAIL, link.email_key
    if link.letter_id:
        yield Scope.LETTER, str(link.letter_id)
    if link.offer_id:
        yield Scope.OFFER, str(link.offer_id)


def _scan_mark(link_id: int, at: datetime) -> str:
    """The mark a letter's scan takes: once per link per day (in UTC)."""
    return f"s:{link_id}:{at.date().isoformat()}"


def _marks(scan_hits: list[dict], links: dict[int, Link]) -> _Marks:
    """The marks already taken for the scanned links on their hits' days."""
    wanted = {_scan_mark(row["link_id"], row["at"]) for row in scan_hits if row["link_id"] in links}
    existing = set(ScoredMark.objects.filter(key__in=among(wanted)).values_list("key", flat=True))
    return _Marks(existing)


# --- the leads --------------------------------------------------------------------------------


# Followed only for a contact who agreed to marketing and did not ask us to stay away (whenever
# the hit comes: consent withdrawn later stops them). A scan or a forward is the prospect answering
# (as a call is) and is recorded for anyone not erased.
FOLLOWED_KINDS = frozenset({InteractionKind.EMAIL_OPEN, InteractionKind.EMAIL_CLICK, InteractionKind.WEB_VISIT})


def write_interactions(batch: Batch) -> None:
    """Write the batch's interactions (none for an erased contact's lead; opens, clicks and visits
    only for a contact we may follow) and mark their leads for one rescore each
    (tracking.engaged). No lead row is locked or written here."""
    lead_ids = {row.lead_id for row in batch.interactions} | {visit.lead_id for visit in batch.pending_visits}
    if not lead_ids:
        return
    contacts = Lead.objects.filter(pk__in=among(lead_ids), contact__erased_at__isnull=True).values_list(
        "pk", "contact__consent", "contact__do_not_contact"
    )
    alive, followable = set(), set()
    for lead_id, consent, do_not_contact in contacts:
        alive.add(lead_id)
        if consent and not do_not_contact:
            followable.add(lead_id)
    rows = [row for row in batch.interactions if row.lead_id in (followable if row.kind in FOLLOWED_KINDS else alive)]
    insert_interactions(rows)
    visits = _write_visit_interactions(batch.pending_visits, followable)
    written = {row.lead_id for row in rows} | {visit.lead_id for visit in visits}
    engaged.mark(
        {
            lead_id: (at, lead_id in batch.scanned_leads)
            for lead_id, at in batch.last_activity.items()
            if lead_id in written
        }
    )


def insert_interactions(rows: list[NewInteraction]) -> None:
    now = timezone.now()
    columns = ("lead_id", "kind", "occurred_at", "metadata", "offer_id")
    values = [(row.lead_id, row.kind, row.occurred_at, json.dumps(row.metadata), row.offer_id) for row in rows]
    bulk.insert(Interaction, columns, values, fixed={"note": "", "answers": "[]", "created_at": now})


def _write_visit_interactions(pending: list[Visit], alive: set[int]) -> list[Visit]:
    """One web_visit interaction per visit of a known visitor: written with its first page,
    brought up to date (pages, seconds) as the visit goes on."""
    visits = [visit for visit in pending if visit.lead_id in alive]
    old = [
        Interaction(pk=visit.interaction_id, metadata=_visit_metadata(visit))
        for visit in visits
        if visit.interaction_id is not None
    ]
    new = [visit for visit in visits if visit.interaction_id is None]
    rows = [
        Interaction(
            lead_id=visit.lead_id,
            kind=InteractionKind.WEB_VISIT,
            occurred_at=visit.started_at,
            metadata=_visit_metadata(visit),
        )
        for visit in new
    ]
    Interaction.objects.bulk_create(rows)
    for visit, row in zip(new, rows, strict=True):
        visit.interaction = row
    Interaction.objects.bulk_update(old, ["metadata"], batch_size=500)
    Visit.objects.bulk_update(visits, ["lead", "interaction"], batch_size=500)
    return visits


def _visit_metadata(visit: Visit) -> dict:
    return {
        "pages": visit.pages,
        "seconds": visit.seconds,
        "return_visit": visit.return_visit,
        "landing_page": visit.landing_url[:300],
        **({"utm_source": visit.utm_source} if visit.utm_source else {}),
    }


def join_known_visits(limit: int = 1000) -> int:
    """Visits made before their visitor became known join the lead (its timeline, its score).
    Run under the score pass's cursor, in a transaction of its own after the batch's: a
    transaction writes its lead-hour counters in one round in key order, so that it never
    deadlocks with the count pass."""
    visits = list(
        Visit.objects.filter(
            lead__isnull=True,
            visitor__lead__isnull=False,
            visitor__lead__contact__erased_at__isnull=True,
            visitor__lead__contact__consent=True,
            visitor__lead__contact__do_not_contact=False,
        )
        .select_related("visitor")
        .order_by("id")[:limit]
    )
    if not visits:
        return 0
    batch = Batch([])
    for visit in visits:
        batch._visit_seen(visit, visit.visitor.lead_id, pages=visit.pages, seconds=visit.seconds)
    write_interactions(batch)
    write_activity(batch.activity)
    return len(visits)


# --- counters ---------------------------------------------------------------------------------


def forget_old_marks() -> int:
    """Marks only matter for the day a hit happened on; hits arrive at most a day late. A mark the
    count pass has not reached yet stays: it tells that pass which click was its e-mail's open."""
    old = ScoredMark.objects.filter(day__lt=timezone.localdate() - timedelta(days=2))
    return old.filter(Q(hit_id__isnull=True) | Q(hit_id__lte=folded_up_to(COUNTING))).delete()[0]


def count_forward(link: TrackedLink, at: datetime) -> None:
    """A forward through the link's form (tracking.forwards), counted for its e-mail, letter and
    offer and in its lead's hour, as the fold counts the other hits."""
    counted = Link(link.pk, link.purpose, link.lead_id, link.email_key, link.letter_id, link.offer_id, link.url, None)
    write_tally({key: dict.fromkeys(TALLY_FIELDS, 0) | {"forwards": 1} for key in scopes(counted)})
    write_activity({(link.lead_id, _hour(at)): dict.fromkeys(ACTIVITY_FIELDS, 0) | {"forwards": 1}})


def write_marks(keys: list[str]) -> None:
    today = timezone.localdate()
    bulk.insert(ScoredMark, ("key", "day"), [(key[:120], today) for key in keys], tail="ON CONFLICT DO NOTHING")


def write_activity(activity: dict) -> None:
    rows = [((lead_id, hour), counts) for (lead_id, hour), counts in activity.items() if any(counts.values())]
    bulk.add_counts(LeadActivity, ("lead_id", "hour"), ACTIVITY_FIELDS, rows)


def write_tally(tally: dict) -> None:
    rows = [(key, counts) for key, counts in tally.items() if any(counts.values())]
    bulk.add_counts(Tally, ("scope", "ref"), TALLY_FIELDS, rows)
