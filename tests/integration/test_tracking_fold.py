"""A worker SIGKILLed in the middle of folding raw hits: the batch it was folding rolls back with
the cursor (of either pass: score or count), a new worker folds the rest, and in the end every
hit was folded and counted exactly once: each cursor counts each hit, no open or click
interaction is written twice, the tallies, hourly activity and scored marks are exactly what
folding the hits once each says, and every touched lead was rescored. Real PostgreSQL, Redis,
worker and beat (the "fold-hits" schedule)."""

import os
import signal
import time
from collections import Counter, defaultdict
from datetime import datetime
from typing import NamedTuple

import pytest
from django.db import connection
from django.utils import timezone

from bench.tracking import generate_hits
from leads.models import Interaction, Lead
from leads.scores import explain
from tests.integration.workers import start_beat, start_worker, stop, wait_for
from tracking.fold import COUNTING, SCORING
from tracking.models import FoldCursor, Hit, LeadActivity, PendingRescore, Scope, ScoredMark, Tally, TrackedLink

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LEADS, HITS = 2000, 60000
BATCH = 500  # small batches: a kill lands mid-fold, and most likely mid-batch
SMALL_BATCHES = {"CRM_TRACKING_FOLD_BATCH": str(BATCH)}


class Row(NamedTuple):
    id: int
    at: datetime
    kind: str
    link_id: int
    machine: str


class Folded(NamedTuple):
    """What the fold leaves, as comparable values."""

    tallies: dict  # e-mail key -> (human opens, machine opens, clicks, machine clicks)
    activity: dict  # (lead, hour) -> (opens, machine opens, clicks)
    interactions: Counter  # (lead, kind, occurred at, e-mail, link) -> how many
    marks: set


def expected_fold(hits: list[Row], links: dict) -> tuple[Folded, int]:
    """Folding `hits` once each, BATCH at a time from the first, by tracking/fold.py's rules: a
    hit flagged `machine`, or a click on one link of an e-mail in the same second (within its
    batch) as a click on another, is a machine's; a person's open or click writes one email_open
    per e-mail per day (a click's implied open also counts as an open, once), a person's click one
    email_click per link per day. Also how many opens were implied by clicks."""
    tallies = defaultdict(lambda: [0, 0, 0, 0])
    activity = defaultdict(lambda: [0, 0, 0])
    interactions = Counter()
    marks = set()
    implied = 0
    for start in range(0, len(hits), BATCH):
        rows = hits[start : start + BATCH]
        same_second = defaultdict(set)
        for row in rows:
            if row.kind == "click":
                same_second[(links[row.link_id][1], row.at.replace(microsecond=0))].add(row.link_id)
        for row in rows:
            lead, email, url = links[row.link_id]
            hour = row.at.replace(minute=0, second=0, microsecond=0)
            at_once = row.kind == "click" and len(same_second[(email, row.at.replace(microsecond=0))]) > 1
            human = not row.machine and not at_once
            if row.kind == "open":
                tallies[email][0 if human else 1] += 1
                activity[(lead, hour)][0 if human else 1] += 1
            else:
                tallies[email][2 if human else 3] += 1
                if human:
                    activity[(lead, hour)][2] += 1
            if not human:
                continue
            day = row.at.date().isoformat()
            if (key := f"o:{email}:{day}") not in marks:
                marks.add(key)
                if row.kind == "click":  # a click implies an open
                    implied += 1
                    tallies[email][0] += 1
                    activity[(lead, hour)][0] += 1
                interactions[(lead, "email_open", row.at, email, None)] += 1
            if row.kind == "click" and (key := f"c:{row.link_id}:{day}") not in marks:
                marks.add(key)
                interactions[(lead, "email_click", row.at, email, url)] += 1
    folded = Folded(
        {email: tuple(counts) for email, counts in tallies.items()},
        {key: tuple(counts) for key, counts in activity.items()},
        interactions,
        marks,
    )
    return folded, implied


def folded_now() -> Folded:
    tallies = Tally.objects.filter(scope=Scope.EMAIL).values_list(
        "ref", "human_opens", "machine_opens", "clicks", "machine_clicks"
    )
    activity = LeadActivity.objects.values_list("lead_id", "hour", "opens", "machine_opens", "clicks")
    interactions = Interaction.objects.filter(kind__in=["email_open", "email_click"], metadata__has_key="email")
    return Folded(
        {ref: tuple(counts) for ref, *counts in tallies},
        {(lead, hour): tuple(counts) for lead, hour, *counts in activity},
        Counter(
            (lead, kind, at, metadata.get("email"), metadata.get("link"))
            for lead, kind, at, metadata in interactions.values_list("lead_id", "kind", "occurred_at", "metadata")
        ),
        set(ScoredMark.objects.values_list("key", flat=True)),
    )


def assert_folded_once(actual: Folded, expected: Folded, when: str, counted: Folded | None = None) -> None:
    """`expected` what the score pass wrote (interactions, marks) and, unless `counted` says what
    the count pass has reached, the counters too."""
    twice = [key for key, n in actual.interactions.items() if n > 1]
    assert not twice, f"{when}: {len(twice)} interactions written twice, e.g. {twice[:3]}"
    for name in Folded._fields:
        got = getattr(actual, name)
        want = getattr(counted if counted is not None and name in ("tallies", "activity") else expected, name)
        if got != want:
            keys = set(got) ^ set(want) | {key for key in set(got) & set(want) if got[key] != want[key]}
            examples = [(key, _get(got, key), _get(want, key)) for key in sorted(keys, key=str)[:3]]
            pytest.fail(f"{when}: {name} differ at {len(keys)} keys, e.g. (key, got, expected): {examples}")


def _get(values, key):
    return key in values if isinstance(values, set) else values.get(key)


def holds_the_fold(app_name: str) -> bool:
    """Whether the worker's connection is inside a fold batch (holds the cursor row's lock)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity a, tracking_foldcursor c "
            "WHERE a.application_name = %s AND c.id = 1 AND a.backend_xid = c.xmax",
            [app_name],
        )
        return cursor.fetchone()[0] > 0


def connected(app_name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [app_name])
        return cursor.fetchone()[0] > 0


def cursor_row(pk: int = SCORING) -> FoldCursor:
    return FoldCursor.objects.filter(pk=pk).first() or FoldCursor(last_hit_id=0, folded=0)


def test_a_worker_killed_mid_fold_leaves_every_hit_folded_exactly_once():
    started = timezone.now()
    generate_hits(LEADS, HITS)
    hits = [Row(*values) for values in Hit.objects.order_by("id").values_list("id", "at", "kind", "link_id", "machine")]
    assert len(hits) == HITS and hits[-1].id - hits[0].id == HITS - 1, "the generator's ids have holes"
    links = {
        pk: (lead, email, url or None)
        for pk, lead, email, url in TrackedLink.objects.values_list("pk", "lead_id", "email_key", "url")
    }
    activity_before = dict(Lead.objects.values_list("pk", "last_activity_at"))
    clock = time.monotonic()

    killed, fresh = "fold-worker-killed", "fold-worker-fresh"  # their connections' application_name
    beat = start_beat(**SMALL_BATCHES)
    worker = start_worker(**SMALL_BATCHES, PGAPPNAME=killed)
    try:
        assert wait_for(
            lambda: HITS // 4 <= cursor_row().folded <= HITS - 10 * BATCH and holds_the_fold(killed),
            seconds=60,
            every=0.05,
        ), f"never caught the worker mid-fold (folded {cursor_row().folded} of {HITS})"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        stop(worker, "killed worker")
        assert wait_for(lambda: not connected(killed), seconds=30), "the killed worker's transaction lingers"
        killed_at = time.monotonic() - clock

        cursor, counted = cursor_row(), cursor_row(COUNTING)
        assert 0 < cursor.folded < HITS, "the kill came too late to test anything"
        prefix = [row for row in hits if row.id <= cursor.last_hit_id]
        assert cursor.folded == len(prefix) and cursor.folded % BATCH == 0
        assert counted.last_hit_id <= cursor.last_hit_id and counted.folded % BATCH == 0
        assert_folded_once(
            folded_now(),
            expected_fold(prefix, links)[0],
            f"after the kill at hit {cursor.folded} (counted {counted.folded})",
            counted=expected_fold([row for row in hits if row.id <= counted.last_hit_id], links)[0],
        )

        worker = start_worker(**SMALL_BATCHES, PGAPPNAME=fresh)
        assert wait_for(
            lambda: cursor_row(COUNTING).folded >= HITS and not PendingRescore.objects.exists(), seconds=60
        ), f"the fold did not finish (folded {cursor_row().folded}, counted {cursor_row(COUNTING).folded} of {HITS})"
    finally:
        stop(worker)
        stop(beat, "beat")
    print(f"killed after {killed_at:.1f} s at hit {cursor.folded}; all folded after {time.monotonic() - clock:.1f} s")

    cursor, counted = cursor_row(), cursor_row(COUNTING)
    assert (cursor.folded, cursor.last_hit_id) == (HITS, hits[-1].id), "a hit was folded twice or skipped"
    assert (counted.folded, counted.last_hit_id) == (HITS, hits[-1].id), "a hit was counted twice or skipped"
    expected, implied = expected_fold(hits, links)
    assert_folded_once(folded_now(), expected, "at the end")

    # The totals, by kind and person or machine: every click hit counted once, every open hit
    # once plus the opens people's clicks implied; the generator's machine flags all honoured.
    columns = zip(*folded_now().tallies.values(), strict=True)
    human_opens, machine_opens, clicks, machine_clicks = (sum(column) for column in columns)
    open_hits = sum(row.kind == "open" for row in hits)
    assert clicks + machine_clicks == HITS - open_hits
    assert human_opens + machine_opens == open_hits + implied
    assert machine_opens == sum(row.kind == "open" and bool(row.machine) for row in hits)
    assert machine_clicks >= sum(row.kind == "click" and bool(row.machine) for row in hits)
    assert sum(kind == "email_open" for _lead, kind, *_ in expected.interactions) > implied > 0

    touched = {key[0] for key in expected.interactions}
    newest = {}
    for lead, _kind, at, *_ in expected.interactions:
        newest[lead] = max(at, newest.get(lead, at))
    leads = Lead.objects.in_bulk(list(touched))
    stale = [
        pk
        for pk, lead in leads.items()
        if lead.score_computed_at is None
        or lead.score_computed_at < started
        or lead.last_activity_at != max(activity_before[pk], newest[pk])
    ]
    assert not stale, f"{len(stale)} touched leads were not rescored, e.g. {stale[:5]}"
    for pk in sorted(touched)[::20]:
        lead = leads[pk]
        result = explain(lead)
        assert (lead.score, lead.temperature) == (result.total, result.temperature), f"lead {pk}"
