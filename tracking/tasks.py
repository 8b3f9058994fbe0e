"""Celery tasks for engagement tracking: thin wrappers that call services."""

import time

from celery import shared_task

from tracking import partitions
from tracking.engaged import rescore_engaged
from tracking.fold import fold_batch, forget_old_marks, marked_before

RUN_SECONDS = 20  # a run stops starting batches after this; beat's next run goes on


@shared_task
def bulk_fold_hits() -> dict:
    """Beat, every 2 seconds: fold the waiting hits, a bounded batch a transaction, then rescore
    the leads they touched, each once; each for at most RUN_SECONDS. A run that finds the fold
    busy (another process holds the cursor) rescores alongside it: all the marks once the fold
    has caught up, only those that waited too long while it works through a backlog
    (tracking.fold.marked_before). The worker's two processes thus fold a backlog, then rescore
    its leads side by side."""
    started = time.monotonic()
    folded = rescored = 0
    while time.monotonic() - started < RUN_SECONDS and (batch := fold_batch()):
        folded += batch
    folding = time.monotonic() - started
    started, before = time.monotonic(), marked_before()
    while time.monotonic() - started < RUN_SECONDS and (taken := rescore_engaged(marked_before=before)):
        rescored += taken
    return {"folded": folded, "rescored": rescored, "seconds_folding": round(folding, 3)}


@shared_task
def keep_hit_partitions() -> dict:
    """Beat, daily: the coming months' partitions ready, raw hits past their keeping dropped, and
    the marks of days that can no longer score again (older than yesterday) deleted."""
    kept = partitions.keep()
    kept["marks_deleted"] = forget_old_marks()
    return kept
