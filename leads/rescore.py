"""Rescoring many leads: after a publish (a background job of kind `rescore`), when leads go quiet
(recency decay, daily), and the preview of a draft that tells marketing beforehand how leads
would move. Scores are written by leads.scores.rescore_many, stages by leads.stages, both in bulk
per chunk.

A rescore chunk is CRM_RESCORE_CHUNK leads: their rows, contacts and interactions in memory at
once (a few MB), locked, scored and written back in one transaction. Leads already on the target
version are skipped, so a chunk worked twice counts nothing twice.
"""

from __future__ import annotations

import heapq
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Max, Min
from django.utils import timezone

from jobs.kinds import JobObsolete
from leads.engagement import missing_facts, rules_of_engagement
from leads.kinds import OPEN_STAGES, Stage
from leads.models import Lead
from leads.scores import facts_for, rescore_many
from scoring.engine import COLD, HOT, WARM, RuleBook, score
from scoring.models import RuleSet, RuleSetStatus
from scoring.services import book_for, published_rule_book

# --- After a publish: the rescore job -----------------------------------------------------------


class RescoreJob:
    """Every lead onto a newly published version, in slices of lead ids (jobs.kinds)."""

    def plan(self, params: dict) -> tuple[int, tuple[int, int] | None]:
        ids = Lead.objects.aggregate(first=Min("pk"), last=Max("pk"))
        total = Lead.objects.exclude(rules_version=params["version"]).count()
        return total, (ids["first"], ids["last"]) if ids["first"] is not None else None

    def begin(self, job):
        rule_set = RuleSet.objects.get(version=job.params["version"])
        if rule_set.status != RuleSetStatus.PUBLISHED:  # a later publish's job rescores everyone
            raise JobObsolete("Superseded by a newer version.")
        return book_for(rule_set)

    def work(self, job, job_slice, book):
        ids = leads_behind(book.version, after=job_slice.cursor, up_to=job_slice.last_id)
        if not ids:
            return None
        done = rescore_many(ids, book=book, reason=_published(book), only_behind=True)
        return ids[-1], done

    def finish(self, job, book):
        """One last pass over the whole table for leads a request racing the publish scored
        under the old rules; the job then counts every lead it was started for."""
        while stragglers := leads_behind(book.version, after=0):
            rescore_many(stragglers, book=book, reason=_published(book), only_behind=True)
        job.done = job.total
        job.save(update_fields=["done"])


def _published(book: RuleBook) -> str:
    return f"Rules version {book.version} published"


def leads_behind(version: int, *, after: int, up_to: int | None = None) -> list[int]:
    """The next chunk of lead ids, after a cursor, not yet scored under `version`."""
    leads = Lead.objects.filter(pk__gt=after).exclude(rules_version=version)
    if up_to is not None:
        leads = leads.filter(pk__lte=up_to)
    return list(leads.order_by("pk").values_list("pk", flat=True)[: settings.CRM_RESCORE_CHUNK])


# --- Recency decay ------------------------------------------------------------------------------


def _decay_weeks(last_activity_at, at, after_days: int) -> int:
    return max(0, ((at - last_activity_at).days - after_days) // 7)


def apply_decay(*, now: datetime | None = None) -> int:
    """Rescore the open leads whose decay has moved on a week since they were last scored.

    Only leads inside the decay window are read (by the last-activity index), and of those only
    the ones that crossed a weekly step since their last scoring are rescored: a lead that went
    quiet long ago is already at the full decay and is left alone. Returns how many moved.
    """
    now = now or timezone.now()
    book = published_rule_book()
    decay = book.decay
    if decay is None or decay.points_per_week <= 0:
        return 0
    max_weeks = -(-decay.max_points // decay.points_per_week)
    window_start = now - timedelta(days=decay.after_days + 7 * (max_weeks + 1))
    window_end = now - timedelta(days=decay.after_days + 7)
    candidates = Lead.objects.filter(
        stage__in=OPEN_STAGES, last_activity_at__gte=window_start, last_activity_at__lte=window_end
    ).values_list("pk", "last_activity_at", "score_computed_at")
    due = [
        pk
        for pk, last_activity_at, computed_at in candidates.iterator(chunk_size=5000)
        if computed_at is None
        or min(_decay_weeks(last_activity_at, now, decay.after_days), max_weeks)
        != min(_decay_weeks(last_activity_at, computed_at, decay.after_days), max_weeks)
    ]
    chunk = settings.CRM_RESCORE_CHUNK
    for start in range(0, len(due), chunk):
        rescore_many(due[start : start + chunk], book=book, reason="Gone quiet: recency decay")
    return len(due)


# --- Before a publish: the preview --------------------------------------------------------------

BUCKETS = [(low, low + 9) for low in range(0, 90, 10)] + [(90, 100)]
TEMPERATURES = (HOT, WARM, COLD)
MOVERS = 20  # the preview names this many leads: those whose score would move most


def _bucket(total: int) -> int:
    return min(total // 10, 9)


def preview_rules(before_book: RuleBook, after_book: RuleBook, *, limit: int) -> dict:
    """How leads would move from one rule book to another (lent to the scoring page through
    scoring.preview): temperature counts before and after, every cold/warm/hot move, the score
    histogram (ten buckets) before and after, how many leads would meet the sales-ready score,
    the stage moves a publish would make (inquiries that become sales-ready, unowned sales-ready
    leads sent back to inquiry, owned ones left with their owner no longer qualifying), and the
    leads that would move most. Above `limit` leads, an even sample (every n-th id) is read."""
    total_leads = Lead.objects.count()
    step = max(1, -(-total_leads // limit))
    leads = Lead.objects.select_related("contact__company").order_by("pk")
    if step > 1:
        leads = leads.alias(stride=F("id") % step).filter(stride=0)  # an even sample at any size
    return _compare(list(leads[:limit]), before_book, after_book, total_leads, step)


def _compare(leads: list, before_book: RuleBook, after_book: RuleBook, total_leads: int, step: int) -> dict:
    now = timezone.now()
    rules = rules_of_engagement()
    histogram_before, histogram_after = [0] * len(BUCKETS), [0] * len(BUCKETS)
    temps_before, temps_after, moves = Counter(), Counter(), Counter()
    ready_before = ready_after = changed = back_to_inquiry = owned_unready = to_sales_ready = 0
    movers = []  # (size of the move, id, lead, before, after) for every lead whose score moves
    threshold = after_book.thresholds.sales_ready
    for start in range(0, len(leads), 1000):
        chunk = leads[start : start + 1000]
        facts = facts_for(chunk, now)
        for lead in chunk:
            before, after = score(facts[lead.pk], before_book), score(facts[lead.pk], after_book)
            histogram_before[_bucket(before.total)] += 1
            histogram_after[_bucket(after.total)] += 1
            temps_before[before.temperature] += 1
            temps_after[after.temperature] += 1
            if before.temperature != after.temperature:
                moves[(before.temperature, after.temperature)] += 1
            if before.total != after.total or before.temperature != after.temperature:
                movers.append((abs(after.total - before.total), -lead.pk, lead, before, after))
            changed += before.total != after.total
            ready_before += before.total >= before_book.thresholds.sales_ready
            ready_after += after.total >= threshold
            if lead.stage == Stage.SALES_READY and after.total < threshold:
                back_to_inquiry += lead.owner_id is None
                owned_unready += lead.owner_id is not None
            elif lead.stage in (Stage.INQUIRY, Stage.UNCLOSED) and after.total >= threshold:
                to_sales_ready += not missing_facts(lead, rules=rules)
    return {
        "published_version": before_book.version,
        "draft_version": after_book.version,
        "leads": len(leads),
        "total_leads": total_leads,
        "sampled": step > 1,
        "changed": changed,
        "temperatures": {
            "before": {t: temps_before[t] for t in TEMPERATURES},
            "after": {t: temps_after[t] for t in TEMPERATURES},
        },
        "moves": [{"from": a, "to": b, "leads": n} for (a, b), n in sorted(moves.items())],
        "sales_ready": {"before": ready_before, "after": ready_after},
        "stages": {
            "to_sales_ready": to_sales_ready,
            "back_to_inquiry": back_to_inquiry,
            "owned_no_longer_ready": owned_unready,
        },
        "movers": [_mover(*row[2:]) for row in heapq.nlargest(MOVERS, movers, key=lambda row: row[:2])],
        "histogram": {
            "buckets": [f"{low}–{high}" for low, high in BUCKETS],
            "before": histogram_before,
            "after": histogram_after,
        },
    }


def _mover(lead, before, after) -> dict:
    return {
        "lead": lead.pk,
        "name": str(lead.contact),
        "stage": lead.stage,
        "stage_label": lead.get_stage_display(),
        "owner": lead.owner_id,
        "before": {"score": before.total, "temperature": before.temperature},
        "after": {"score": after.total, "temperature": after.temperature},
        "change": after.total - before.total,
    }
