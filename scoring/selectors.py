"""Scoring reads: the preview of a draft against the leads we have, and the history of versions."""

from __future__ import annotations

import heapq
from collections import Counter

from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.utils import timezone

from scoring.definition import parse_definition
from scoring.diff import change_lines, diff_definitions
from scoring.engine import COLD, HOT, WARM, RuleBook, score
from scoring.models import RuleSet, RuleSetStatus
from scoring.services import book_for, facts_for, published_rule_book

PREVIEW_LIMIT = 20_000  # above this many leads the preview reads an even sample (every n-th id)
BUCKETS = [(low, low + 9) for low in range(0, 90, 10)] + [(90, 100)]
TEMPERATURES = (HOT, WARM, COLD)
MOVERS = 20  # the preview names this many leads: those whose score would move most


def _bucket(total: int) -> int:
    return min(total // 10, 9)


def preview_draft(*, limit: int = PREVIEW_LIMIT, definition: dict | None = None) -> dict:
    """How the draft would move leads compared with the published rules.

    Both rule books score the same facts, so the difference is the rules' alone: temperature
    counts before and after, every cold/warm/hot move, the score histogram (ten buckets) before
    and after, how many leads would become or stop being sales-ready, which sales-ready leads a
    publish would send back to `inquiry` or leave with their owner no longer qualifying, and the
    leads that would move most. `definition`, already validated, previews rules not yet saved
    (what is in the editor) under the draft's version number.
    """
    from leads.models import Lead

    draft = RuleSet.objects.filter(status=RuleSetStatus.DRAFT).first()
    if draft is None:
        raise ValidationError({"draft": ["There is no draft to preview: edit the rules first."]})
    before_book = published_rule_book()
    after_book = book_for(draft) if definition is None else parse_definition(definition, version=draft.version)
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
    ready_before = ready_after = changed = back_to_inquiry = owned_unready = 0
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
            if lead.stage == "sales_ready" and after.total < threshold:
                back_to_inquiry += lead.owner_id is None
                owned_unready += lead.owner_id is not None
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
        "stages": {"back_to_inquiry": back_to_inquiry, "owned_no_longer_ready": owned_unready},
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
        "owner": lead.owner_id,
        "before": {"score": before.total, "temperature": before.temperature},
        "after": {"score": after.total, "temperature": after.temperature},
        "change": after.total - before.total,
    }


# --- History ------------------------------------------------------------------------------------


def rule_set_history() -> QuerySet[RuleSet]:
    """Every version that was published, newest first, with who published it."""
    return (
        RuleSet.objects.exclude(status=RuleSetStatus.DRAFT)
        .select_related("published_by", "created_by")
        .order_by("-version")
    )


def comparable_versions() -> QuerySet[RuleSet]:
    """What a diff may compare: every published or retired version and the draft."""
    return RuleSet.objects.select_related("published_by").order_by("-version")


def version_diff(a: int, b: int) -> dict:
    """What changed from version `a` to version `b` (either may be the draft), in words.
    RuleSet.DoesNotExist when either is unknown."""
    sets = {rule_set.version: rule_set for rule_set in RuleSet.objects.filter(version__in=[a, b])}
    for version in (a, b):
        if version not in sets:
            raise RuleSet.DoesNotExist(f"No rule set has version {version}.")
    sections = diff_definitions(sets[a].definition, sets[b].definition)
    return {
        "from": a,
        "to": b,
        "changes": len(change_lines(sections)),
        "sections": sections,
    }
