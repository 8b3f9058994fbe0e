"""Celery tasks for engagement tracking: thin wrappers that call services."""

import time

from celery import shared_task

from tracking import partitions
from tracking.engaged import rescore_engaged
from tracking.fold import fold_batch, forget_old_marks

RUN_SECONDS = 20  # a run stops starting batches after this; beat's next run goes on


@shared_task
def bulk_fold_hits() -> dict:
    """Beat, every 2 seconds: fold the waiting hits, a bounded batch a transaction, then rescore
    the leads they touched, each once. A run that finds the fold busy (another worker holds the
    cursor) rescores alongside it."""
    started = time.monotonic()
    folded = rescored = 0
    while time.monotonic() - started < RUN_SECONDS and (batch := fold_batch()):
        folded += batch
    while time.monotonic() - started < RUN_SECONDS and (taken := rescore_engaged()):
        rescored += taken
    return {"folded": folded, "rescored": rescored}


@shared_task
def keep_hit_partitions() -> dict:
    """Beat, daily: the coming months' partitions ready, raw hits past their keeping dropped, and
    the marks of days that can no longer score again (older than yesterday) deleted."""
    kept = partitions.keep()
    kept["marks_deleted"] = forget_old_marks()
    return kept
