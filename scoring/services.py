"""Scoring writes: loading facts and saving scores around the pure engine, drafts, publishing,
background rescoring and recency decay."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from config.parsers import UnsafeDocument, check_document
from scoring.definition import parse_definition
from scoring.engine import HOT, InteractionFact, LeadFacts, RuleBook, RuleBookError, Score, score
from scoring.models import RuleSet, RuleSetStatus, ScoreChange

OPEN_STAGES = ("list", "inquiry", "sales_ready", "unclosed")  # leads.kinds.OPEN_STAGES, without the import cycle

_parsed_books: dict[int, RuleBook] = {}
logger = logging.getLogger(__name__)


class NoPublishedRules(RuntimeError):
    """Raised when no rule set is published; the data migration ships one, so this is a bug."""


# --- Rule books -------------------------------------------------------------------------------


def book_for(rule_set: RuleSet) -> RuleBook:
    """The parsed rule book of a rule set. Published versions never change, so they are cached."""
    if rule_set.status == RuleSetStatus.DRAFT:
        return parse_definition(rule_set.definition, version=rule_set.version)
    return _cached_book(rule_set.version, rule_set.definition)


def _cached_book(version: int, definition) -> RuleBook:
    book = _parsed_books.get(version)
    if book is None:
        book = _parsed_books[version] = parse_definition(definition, version=version)
    return book


def published_rule_book() -> RuleBook:
    """The published rule book: one small query, parsing cached per version."""
    row = RuleSet.objects.filter(status=RuleSetStatus.PUBLISHED).values_list("version", "definition").first()
    if row is None:
        raise NoPublishedRules("No published scoring rule set.")
    return _cached_book(*row)


# --- Facts and single-lead scoring ------------------------------------------------------------


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

    `hot_since` starts when a lead turns hot and clears when it cools: the response-time
    alerts measure from it."""
    old = (lead.score, lead.temperature, lead.rules_version)
    if result.temperature == HOT and (lead.temperature != HOT or lead.hot_since is None):
        lead.hot_since = now
    elif result.temperature != HOT:
        lead.hot_since = None
    lead.score, lead.temperature = result.total, result.temperature
    lead.rules_version, lead.score_computed_at = result.rules_version, now
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
        update_fields=["score", "temperature", "rules_version", "score_computed_at", "hot_since", *(also_save or [])]
    )
    if change is not None:
        change.save()
    return result


def explain(lead) -> Score:
    """The breakdown behind a lead's score under the published rules, computed fresh."""
    return score(lead_facts(lead), published_rule_book())


def facts_for(leads: list, now: datetime) -> dict[int, LeadFacts]:
    """Facts of many leads (contact and company loaded) with one query for all their interactions."""
    from leads.models import Interaction

    rows = defaultdict(list)
    interactions = (
        Interaction.objects.filter(lead_id__in=[lead.pk for lead in leads])
        .order_by("occurred_at", "id")
        .values_list("lead_id", *INTERACTION_FIELDS)
    )
    for lead_id, *row in interactions:
        rows[lead_id].append(row)
    return {lead.pk: facts_from_rows(lead, rows[lead.pk], now) for lead in leads}


def write_scores(leads: list) -> None:
    """Save the score fields of many leads in one statement.

    Django's bulk_update builds a CASE expression per field and row, which costs more than the
    scoring itself (about 2 ms a lead); on PostgreSQL one UPDATE … FROM (VALUES …) does the same.
    """
    from django.db import connection

    from leads.models import Lead

    if not leads:
        return
    table = connection.ops.quote_name(Lead._meta.db_table)
    rows = [
        (lead.pk, lead.score, lead.temperature, lead.rules_version, lead.score_computed_at, lead.hot_since)
        for lead in leads
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = ", ".join(
                ["(%s::bigint, %s::smallint, %s, %s::integer, %s::timestamptz, %s::timestamptz)"] * len(rows)
            )
            cursor.execute(
                f"UPDATE {table} AS l SET score = v.score, temperature = v.temperature, "
                "rules_version = v.rules_version, score_computed_at = v.computed_at, hot_since = v.hot_since "
                f"FROM (VALUES {values}) AS v(id, score, temperature, rules_version, computed_at, hot_since) "
                "WHERE l.id = v.id",
                [value for row in rows for value in row],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET score = %s, temperature = %s, rules_version = %s, score_computed_at = %s, "
                "hot_since = %s WHERE id = %s",
                [(score_, temperature, version, at, hot, pk) for pk, score_, temperature, version, at, hot in rows],
            )


def rescore_many(lead_ids: list[int], *, book: RuleBook, reason: str, only_behind: bool = False) -> int:
    """Rescore a batch of leads in one transaction: lock them, load all their facts in two
    queries, compute, and write back in bulk. Every lead ends on the book's version or, if
    anything fails, stays on its old one. With `only_behind`, leads already on the book's
    version once locked are left alone, so two tasks on the same slice never count a lead
    twice. Returns how many leads were rescored."""
    from leads.models import Lead

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
    return len(leads)


# --- Drafts and publishing --------------------------------------------------------------------


def _validated(definition) -> RuleBook:
    try:
        check_document(definition)
    except UnsafeDocument as exc:
        raise ValidationError({"definition": [str(exc)]}) from exc
    try:
        return parse_definition(definition)
    except RuleBookError as exc:
        raise ValidationError(exc.errors) from exc


def current_draft(*, by=None) -> RuleSet:
    """The draft marketing is editing; a fresh copy of the published rules if there is none."""
    draft = RuleSet.objects.filter(status=RuleSetStatus.DRAFT).first()
    if draft is not None:
        return draft
    with transaction.atomic():
        published = RuleSet.objects.select_for_update().get(status=RuleSetStatus.PUBLISHED)
        if (draft := RuleSet.objects.filter(status=RuleSetStatus.DRAFT).first()) is not None:
            return draft
        next_version = (RuleSet.objects.aggregate(top=Max("version"))["top"] or 0) + 1
        return RuleSet.objects.create(
            version=next_version, status=RuleSetStatus.DRAFT, definition=published.definition, created_by=by
        )


def save_draft(*, definition, note: str = "", by=None) -> RuleSet:
    """Replace the draft's rules. Refused with every problem at once; nothing is saved then."""
    _validated(definition)
    draft = current_draft(by=by)
    draft.definition, draft.note = definition, note[:200]
    draft.save(update_fields=["definition", "note"])
    return draft


def discard_draft() -> None:
    RuleSet.objects.filter(status=RuleSetStatus.DRAFT).delete()


def publish_draft(*, by=None):
    """Publish the draft and start rescoring every lead on it in the background.

    The draft becomes the published version and the old one is retired in one transaction; a
    job (jobs.services) records the rescore in slices of lead ids, one per worker process, and
    its tasks are sent only once that has committed.
    """
    from jobs.services import start_job
    from leads.models import Lead

    with transaction.atomic():
        draft = RuleSet.objects.select_for_update().filter(status=RuleSetStatus.DRAFT).first()
        if draft is None:
            raise ValidationError({"draft": ["There is no draft to publish."]})
        _validated(draft.definition)
        RuleSet.objects.filter(status=RuleSetStatus.PUBLISHED).update(status=RuleSetStatus.RETIRED)
        draft.status, draft.published_at = RuleSetStatus.PUBLISHED, timezone.now()
        draft.save(update_fields=["status", "published_at"])
        ids = Lead.objects.aggregate(first=Min("pk"), last=Max("pk"))
        return start_job(
            kind="rescore",
            params={"version": draft.version},
            total=Lead.objects.exclude(rules_version=draft.version).count(),
            id_range=(ids["first"], ids["last"]) if ids["first"] is not None else None,
            slices=settings.CRM_RESCORE_SLICES,
            by=by,
        )


def leads_behind(version: int, *, after: int, up_to: int | None = None) -> list[int]:
    """The next chunk of lead ids, after a cursor, not yet scored under `version`."""
    from leads.models import Lead

    leads = Lead.objects.filter(pk__gt=after).exclude(rules_version=version)
    if up_to is not None:
        leads = leads.filter(pk__lte=up_to)
    return list(leads.order_by("pk").values_list("pk", flat=True)[: settings.CRM_RESCORE_CHUNK])


# --- Recency decay ----------------------------------------------------------------------------


def _decay_weeks(last_activity_at, at, after_days: int) -> int:
    return max(0, ((at - last_activity_at).days - after_days) // 7)


def apply_decay(*, now: datetime | None = None) -> int:
    """Rescore the open leads whose decay has moved on a week since they were last scored.

    Only leads inside the decay window are read (by the last-activity index), and of those only
    the ones that crossed a weekly step since their last scoring are rescored: a lead that went
    quiet long ago is already at the full decay and is left alone. Returns how many moved.
    """
    from leads.models import Lead

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
