"""Whether the stored scores are the engine's: each lead's stored score and temperature against
what the pure engine computes from the lead's facts (leads.scores), read in chunks of ids.

A score is judged under the rules version it was computed with, at the moment it was computed
(`score_computed_at`): every fact but the clock is the lead's as it stands. A score that does not
match is **wrong**: no service wrote it (a number changed by hand, a fact changed without a
rescore, a lead never scored). A score that matches then but not now is **behind**: recency decay
moved on a weekly step since (the nightly decay run rescores it) or a publish's rescore job has
not reached it yet. Both differ from what the lead page shows today; only the wrong ones mean the
product broke its own rule. `rescore` brings either kind to the engine's number, through the
same path as the decay run and the rescore job.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from leads.models import Lead
from leads.scores import facts_for, rescore_many
from scoring.engine import RuleBook, score
from scoring.models import RuleSet
from scoring.services import book_for, published_rule_book

WRONG, BEHIND = "wrong", "behind"


@dataclass(frozen=True)
class Disagreement:
    """One lead whose stored score or temperature is not what the engine computes today."""

    lead_id: int
    name: str
    stored_score: int
    stored_temperature: str
    engine_score: int
    engine_temperature: str
    kind: str  # WRONG or BEHIND
    why: str

    def __str__(self) -> str:
        return (
            f"Lead {self.lead_id} ({self.name}): stored {self.stored_score} {self.stored_temperature}, "
            f"the engine says {self.engine_score} {self.engine_temperature}: {self.why}"
        )


def disagreements(*, chunk: int | None = None, now: datetime | None = None) -> Iterator[Disagreement]:
    """Every lead whose stored score or temperature differs from the engine's under the published
    rules today, in id order. Leads are read `chunk` at a time (CRM_RESCORE_CHUNK by default) with
    their contacts and companies, and each chunk's interactions in one query, so memory stays
    that of one chunk however many leads there are."""
    chunk = chunk or settings.CRM_RESCORE_CHUNK
    now = now or timezone.now()
    published = published_rule_book()
    books = {published.version: published}
    after = 0
    while True:
        leads = list(Lead.objects.filter(pk__gt=after).select_related("contact__company").order_by("pk")[:chunk])
        if not leads:
            return
        facts = facts_for(leads, now)
        for lead in leads:
            today = score(facts[lead.pk], published)
            if (lead.score, lead.temperature) == (today.total, today.temperature):
                continue
            kind, why = _judge(lead, facts[lead.pk], books, published)
            yield Disagreement(
                lead_id=lead.pk,
                name=str(lead.contact),
                stored_score=lead.score,
                stored_temperature=lead.temperature,
                engine_score=today.total,
                engine_temperature=today.temperature,
                kind=kind,
                why=why,
            )
        after = leads[-1].pk


def _judge(lead: Lead, facts, books: dict[int, RuleBook], published: RuleBook) -> tuple[str, str]:
    """Wrong or behind, and why: the engine at the moment the stored score was computed, under
    the version it names, says whether a service wrote it."""
    if lead.score_computed_at is None:
        return WRONG, "never scored by the engine"
    book = _book(lead.rules_version, books)
    if book is None:
        return WRONG, f"scored under rules version {lead.rules_version}, which does not exist"
    then = score(replace(facts, now=lead.score_computed_at), book)
    if (lead.score, lead.temperature) != (then.total, then.temperature):
        return WRONG, (
            f"not what the engine gave when it was scored ({then.total} {then.temperature}): "
            "written without the engine, or a fact changed without a rescore"
        )
    if book.version != published.version:
        return BEHIND, f"scored under rules version {book.version}; the rescore job brings it to {published.version}"
    return BEHIND, "recency decay moved on since it was scored; the nightly decay run rescores it"


def _book(version: int, books: dict[int, RuleBook]) -> RuleBook | None:
    if version not in books:
        rule_set = RuleSet.objects.filter(version=version).first()
        books[version] = book_for(rule_set) if rule_set is not None else None
    return books[version]


def rescore(lead_ids: list[int], *, chunk: int | None = None) -> int:
    """Rescore these leads under the published rules, `chunk` to a transaction, through
    leads.scores.rescore_many (which settles their stages as a rescore job does). Returns how many."""
    chunk = chunk or settings.CRM_RESCORE_CHUNK
    book = published_rule_book()
    done = 0
    for start in range(0, len(lead_ids), chunk):
        done += rescore_many(lead_ids[start : start + chunk], book=book, reason="Score check: rescored")
    return done
