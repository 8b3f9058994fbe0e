"""Scoring reads: the preview of a draft against the leads we have."""

from __future__ import annotations

from collections import Counter

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from scoring.engine import COLD, HOT, WARM, RuleBook, score
from scoring.models import RuleSet, RuleSetStatus
from scoring.services import book_for, facts_for, published_rule_book

PREVIEW_LIMIT = 20_000  # above this many leads the preview reads an even sample (every n-th id)
BUCKETS = [(low, low + 9) for low in range(0, 90, 10)] + [(90, 100)]
TEMPERATURES = (HOT, WARM, COLD)


def _bucket(total: int) -> int:
    return min(total // 10, 9)


def preview_draft(*, limit: int = PREVIEW_LIMIT) -> dict:
    """How the draft would move leads compared with the published rules.

    Both rule books score the same facts, so the difference is the rules' alone: temperature
    counts before and after, every cold/warm/hot move, the score histogram (ten buckets) before
    and after, and how many leads would become or stop being sales-ready.
    """
    from leads.models import Lead

    draft = RuleSet.objects.filter(status=RuleSetStatus.DRAFT).first()
    if draft is None:
        raise ValidationError({"draft": ["There is no draft to preview: edit the rules first."]})
    before_book, after_book = published_rule_book(), book_for(draft)
    total_leads = Lead.objects.count()
    step = max(1, -(-total_leads // limit))
    leads = Lead.objects.select_related("contact__company").order_by("pk")
    if step > 1:
        leads = leads.alias(stride=F("id") % step).filter(stride=0)  # an even sample at any size
    return _compare(list(leads[:limit]), before_book, after_book, total_leads, step)


def _compare(leads: list, before_book: RuleBook, after_book: RuleBook, total_leads: int, step: int) -> dict:
    now = timezone.now()
    histogram_before, histogram_after = [0] * len(BUCKETS), [0] * len(BUCKETS)
    temps_before, temps_after, moves = Counter(), Counter(), Counter()
    ready_before = ready_after = changed = 0
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
            changed += before.total != after.total
            ready_before += before.total >= before_book.thresholds.sales_ready
            ready_after += after.total >= after_book.thresholds.sales_ready
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
        "histogram": {
            "buckets": [f"{low}–{high}" for low, high in BUCKETS],
            "before": histogram_before,
            "after": histogram_after,
        },
    }
