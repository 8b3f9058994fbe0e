"""Celery tasks for engagement tracking: thin wrappers that call services."""

from celery import shared_task
from django.conf import settings

from tracking import partitions
from tracking.fold import fold_batch

MAX_BATCHES_A_RUN = 20


@shared_task
def fold_hits() -> int:
    """Beat, every 2 seconds: fold waiting hits, a bounded batch a transaction, for at most
    MAX_BATCHES_A_RUN batches (the next run goes on)."""
    total = 0
    for _ in range(MAX_BATCHES_A_RUN):
        folded = fold_batch()
        total += folded
        if folded < settings.CRM_TRACKING_FOLD_BATCH:
            break
    return total


@shared_task
def keep_hit_partitions() -> dict:
    """Beat, daily: the coming months' partitions ready, raw hits past their keeping dropped."""
    return partitions.keep()
