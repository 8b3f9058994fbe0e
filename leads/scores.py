"""A lead's score, saved: the facts the pure engine reads (`scoring.engine`) loaded from a lead
and its interactions, and the result written back with its history (`ScoreChange`), for one
lead or a chunk of them. The engine knows no models; this module is its shell on the lead side.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from leads.kinds import OPEN_STAGES
from leads.models import Interaction, Lead
from leads.stages import settle_after_rescore
from scoring.engine import HOT, InteractionFact, LeadFacts, RuleBook, Score, score
from scoring.models import ScoreChange
from scoring.services import published_rule_book


def facts_from_rows(lead, rows: Iterable[tuple], now: datetime) -> LeadFacts:
    """Facts from a lead (with contact and company loaded) and its interaction rows
    (kind, occurred_at, metadata, answers), oldest first."""
    interactions, answers = [], {}
    for kind, occurred_at, metadata, given in rows:
        interactions.append(InteractionFact(kind, occurred_at, metadata or {}))
        for pair in given or []:
            answers[pair["question"]] = pair["answer"]  # the latest answer to a question counts
    contact = lead.contact
    company = contact.company
    profile = {"title": contact.title, "persona": contact.persona}
    if company is not None:
        profile |= {
            "industry_code": company.industry_code,
            "size_band": company.size_band,
            "region": company.region,
            "country": company.country,
            "postal_code": company.postal_code,
        }
    return LeadFacts(
        stage=lead.stage,
        interactions=tuple(interactions),
        answers=answers,
        profile=profile,
        last_activity_at=lead.last_activity_at,
        now=now,
    )


INTERACTION_FIELDS = ("kind", "occurred_at", "metadata", "answers")


def lead_facts(lead, now=None) -> LeadFacts:
    """Everything the engine needs about one lead: one query for its interactions."""
    rows = lead.interactions.order_by("occurred_at", "id").values_list(*INTERACTION_FIELDS)
    return facts_from_rows(lead, rows, now or timezone.now())


def apply_score(lead, result: Score, reason: str, now: datetime) -> ScoreChange | None:
    """Put a result on the lead instance; the ScoreChange to keep if anything moved.

    `hot_since` starts when a prospect turns hot and clears when it cools: the response-time
    alerts measure from it. A closed lead's pinned score (won 100) is no prospect turning hot:
    it starts no clock, so a sale is never counted as a hot lead nobody answered."""
    old = (lead.score, lead.temperature, lead.rules_version)
    prospect_hot = result.temperature == HOT and lead.stage in OPEN_STAGES
    if prospect_hot and lead.first_hot_at is None:
        lead.first_hot_at = now  # the scoreboard's response time counts from here, whatever follows
    if prospect_hot and (lead.temperature != HOT or lead.hot_since is None):
        lead.hot_since = now
    elif not prospect_hot:
        lead.hot_since = None
    lead.score, lead.temperature = result.total, result.temperature
    lead.rules_version, lead.score_computed_at = result.rules_version, now
    if lead.inquiry_score is None and lead.inquired_at is not None:
        lead.inquiry_score = result.total  # the score its first inquiry earned: score analysis reads it
    if old == (result.total, result.temperature, result.rules_version):
        return None
    return ScoreChange(
        lead=lead,
        old_score=old[0],
        new_score=result.total,
        old_temperature=old[1],
        new_temperature=result.temperature,
        reason=reason[:200],
        rules_version=result.rules_version,
    )


def rescore_lead(lead, *, reason: str, book: RuleBook | None = None, also_save: list[str] | None = None) -> Score:
    """Recompute and save a lead's score, keeping a ScoreChange when the number or version moved.

    The caller holds the lead's row lock (select_for_update) inside a transaction, so two
    interactions logged at once are scored one after the other and neither is lost.
    `also_save` names other fields the caller changed on `lead`, saved in the same UPDATE.
    """
    book = book or published_rule_book()
    now = timezone.now()
    result = score(lead_facts(lead, now), book)
    change = apply_score(lead, result, reason, now)
    lead.save(
        update_fields=[
            "score",
            "temperature",
            "rules_version",
            "score_computed_at",
            "hot_since",
            "first_hot_at",
            "inquiry_score",
            *(also_save or []),
        ]
    )
    if change is not None:
        change.save()
    return result


def explain(lead) -> Score:
    """The breakdown behind a lead's score under the published rules, computed fresh."""
    return score(lead_facts(lead), published_rule_book())


def facts_for(leads: list, now: datetime) -> dict[int, LeadFacts]:
    """Facts of many leads (contact and company loaded) with one query for all their interactions."""
    rows = defaultdict(list)
    interactions = (
        Interaction.objects.filter(lead_id__in=[lead.pk for lead in leads])
        .order_by("occurred_at", "id")
        .values_list("lead_id", *INTERACTION_FIELDS)
    )
    for lead_id, *row in interactions:
        rows[lead_id].append(row)
    return {lead.pk: facts_from_rows(lead, rows[lead.pk], now) for lead in leads}


# The columns a rescore writes, with their PostgreSQL types for the VALUES list ("" for text).
SCORE_COLUMNS = (
    ("score", "smallint"),
    ("temperature", ""),
    ("rules_version", "integer"),
    ("score_computed_at", "timestamptz"),
    ("hot_since", "timestamptz"),
    ("first_hot_at", "timestamptz"),
    ("inquiry_score", "smallint"),
)


def write_scores(leads: list, *, with_activity: bool = False) -> None:
    """Save the score fields of many leads in one statement (and their `last_activity_at`, for
    engagement folded in bulk: tracking.engaged).

    Django's bulk_update builds a CASE expression per field and row, which costs more than the
    scoring itself (about 2 ms a lead); on PostgreSQL one UPDATE … FROM (VALUES …) does the same.
    """
    if not leads:
        return
    columns = SCORE_COLUMNS + ((("last_activity_at", "timestamptz"),) if with_activity else ())
    names = [name for name, _type in columns]
    table = connection.ops.quote_name(Lead._meta.db_table)
    rows = [(lead.pk, *(getattr(lead, name) for name in names)) for lead in leads]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            row_sql = "(%s::bigint, " + ", ".join(f"%s::{kind}" if kind else "%s" for _name, kind in columns) + ")"
            cursor.execute(
                f"UPDATE {table} AS l SET {', '.join(f'{name} = v.{name}' for name in names)} "
                f"FROM (VALUES {', '.join([row_sql] * len(rows))}) AS v(id, {', '.join(names)}) WHERE l.id = v.id",
                [value for row in rows for value in row],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET {', '.join(f'{name} = %s' for name in names)} WHERE id = %s",
                [(*row[1:], row[0]) for row in rows],
            )


def rescore_many(
    lead_ids: list[int],
    *,
    book: RuleBook,
    reason: str,
    only_behind: bool = False,
    by=None,
    rules_changed: bool = True,
) -> int:
    """Rescore a batch of leads in one transaction: lock them, load all their facts in two
    queries, compute, and write back in bulk. Every lead ends on the book's version or, if
    anything fails, stays on its old one. With `only_behind`, leads already on the book's
    version once locked are left alone, so two tasks on the same slice never count a lead
    twice. Returns how many leads were rescored."""
    now = timezone.now()
    with transaction.atomic():
        leads = list(
            Lead.objects.filter(pk__in=lead_ids)
            .select_related("contact__company")
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        if only_behind:
            leads = [lead for lead in leads if lead.rules_version != book.version]
        facts = facts_for(leads, now)
        changes = []
        for lead in leads:
            change = apply_score(lead, score(facts[lead.pk], book), reason, now)
            if change is not None:
                changes.append(change)
        write_scores(leads)
        ScoreChange.objects.bulk_create(changes)
        settle_after_rescore(leads, book=book, why=reason, by=by, rules_changed=rules_changed)
    return len(leads)
