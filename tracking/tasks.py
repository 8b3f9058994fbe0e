"""Celery tasks for engagement tracking: thin wrappers that call services."""

import time

from celery import shared_task

from tracking import partitions
from tracking.engaged import rescore_engaged
from tracking.fold import analyze_grown, count_batch, fold_batch, forget_old_marks, marked_before, scoring_now

RUN_SECONDS = 20  # a run stops starting batches after this; beat's next run goes on
SCORING_POLL = 0.2  # seconds between looks at a score pass another process runs


@shared_task
def bulk_fold_hits() -> dict:
    """Beat, every 2 seconds: fold the waiting hits, a bounded batch a transaction, in two passes
    (score, then count: tracking.fold), then rescore the leads they touched, each once; each for
    at most RUN_SECONDS. Each pass has its own cursor, so the worker's two processes leapfrog
    through a backlog: one counts a batch while the other scores the next (a process that finds
    nothing to count while the other scores waits for it, polling, rather than leaving a CPU
    idle). The rescore then takes all the marks once the fold has caught up, only those that
    waited too long while it works through a backlog (tracking.fold.marked_before)."""
    started = time.monotonic()
    folded = counted = rescored = 0
    while time.monotonic() - started < RUN_SECONDS:
        scored, tallied = fold_batch(), count_batch()
        folded, counted = folded + scored, counted + tallied
        if not (scored or tallied):
            if not scoring_now():
                break
            time.sleep(SCORING_POLL)
    if counted:
        analyze_grown()  # a flood's counters read by fresh statistics, not none
    folding = time.monotonic() - started
    started, before = time.monotonic(), marked_before()
    while time.monotonic() - started < RUN_SECONDS and (taken := rescore_engaged(marked_before=before)):
        rescored += taken
    return {"folded": folded, "counted": counted, "rescored": rescored, "seconds_folding": round(folding, 3)}


@shared_task
def keep_hit_partitions() -> dict:
    """Beat, daily: the coming months' partitions ready, raw hits past their keeping dropped, and
    the marks of days that can no longer score again (older than yesterday) deleted."""
    kept = partitions.keep()
    kept["marks_deleted"] = forget_old_marks()
    return kept
