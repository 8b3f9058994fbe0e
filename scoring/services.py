"""Loading rule books and lead facts, and saving scores: the thin shell around the pure engine."""

from __future__ import annotations

from django.utils import timezone

from scoring.definition import parse_definition
from scoring.engine import InteractionFact, LeadFacts, RuleBook, Score, score
from scoring.models import RuleSet, RuleSetStatus, ScoreChange

_parsed_books: dict[int, RuleBook] = {}


class NoPublishedRules(RuntimeError):
    """Raised when no rule set is published; the data migration ships one, so this is a bug."""


def published_rule_book() -> RuleBook:
    """The published rule book. One small query; parsing is cached per version (versions never change)."""
    row = RuleSet.objects.filter(status=RuleSetStatus.PUBLISHED).values_list("version", "definition").first()
    if row is None:
        raise NoPublishedRules("No published scoring rule set.")
    version, definition = row
    book = _parsed_books.get(version)
    if book is None:
        book = _parsed_books[version] = parse_definition(definition, version=version)
    return book


def lead_facts(lead, now=None) -> LeadFacts:
    """Everything the engine needs about one lead: two small queries (interactions, contact)."""
    rows = lead.interactions.order_by("occurred_at", "id").values_list("kind", "occurred_at", "metadata", "answers")
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
        now=now or timezone.now(),
    )


def rescore_lead(lead, *, reason: str, book: RuleBook | None = None, also_save: list[str] | None = None) -> Score:
    """Recompute and save a lead's score, keeping a ScoreChange when the number or version moved.

    The caller holds the lead's row lock (select_for_update) inside a transaction, so two
    interactions logged at once are scored one after the other and neither is lost.
    `also_save` names other fields the caller changed on `lead`, saved in the same UPDATE.
    """
    book = book or published_rule_book()
    result = score(lead_facts(lead), book)
    old_score, old_temperature, old_version = lead.score, lead.temperature, lead.rules_version
    lead.score, lead.temperature = result.total, result.temperature
    lead.rules_version, lead.score_computed_at = result.rules_version, timezone.now()
    lead.save(update_fields=["score", "temperature", "rules_version", "score_computed_at", *(also_save or [])])
    if (old_score, old_temperature, old_version) != (result.total, result.temperature, result.rules_version):
        ScoreChange.objects.create(
            lead=lead,
            old_score=old_score,
            new_score=result.total,
            old_temperature=old_temperature,
            new_temperature=result.temperature,
            reason=reason[:200],
            rules_version=result.rules_version,
        )
    return result


def explain(lead) -> Score:
    """The breakdown behind a lead's score under the published rules, computed fresh."""
    return score(lead_facts(lead), published_rule_book())
