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

from config.errors import Conflict
from config.parsers import UnsafeDocument, check_document
from scoring.definition import parse_definition
from scoring.engine import HOT, InteractionFact, LeadFacts, RuleBook, RuleBookError, Score, score
from scoring.models import RuleSet, RuleSetStatus, ScoreChange

OPEN_STAGES = ("list", "inquiry", "sales_ready", "unclosed")  # leads.kinds.OPEN_STAGES, without the import cycle

# How a lead's stage history reads when a rescore takes it out of the sales-ready pool.
RULES_CHANGED = "Rules changed"

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
    if result.temperature == HOT and lead.first_hot_at is None:
        lead.first_hot_at = now  # the scoreboard's response time counts from here, whatever follows
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
        update_fields=[
            "score",
            "temperature",
            "rules_version",
            "score_computed_at",
            "hot_since",
            "first_hot_at",
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
        (lead.pk, lead.score, lead.temperature, lead.rules_version, lead.score_computed_at)
        + (lead.hot_since, lead.first_hot_at)
        for lead in leads
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = ", ".join(
                ["(%s::bigint, %s::smallint, %s, %s::integer, %s::timestamptz, %s::timestamptz, %s::timestamptz)"]
                * len(rows)
            )
            cursor.execute(
                f"UPDATE {table} AS l SET score = v.score, temperature = v.temperature, "
                "rules_version = v.rules_version, score_computed_at = v.computed_at, hot_since = v.hot_since, "
                "first_hot_at = v.first_hot_at "
                f"FROM (VALUES {values}) AS v(id, score, temperature, rules_version, computed_at, hot_since, "
                "first_hot_at) WHERE l.id = v.id",
                [value for row in rows for value in row],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET score = %s, temperature = %s, rules_version = %s, score_computed_at = %s, "
                "hot_since = %s, first_hot_at = %s WHERE id = %s",
                [(score_, temp, version, at, hot, first, pk) for pk, score_, temp, version, at, hot, first in rows],
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
        return_unready_to_inquiry(leads, book=book, why=reason)
    return len(leads)


def return_unready_to_inquiry(leads: list, *, book: RuleBook, why: str) -> list:
    """Send the unowned sales-ready leads that a rescore took below the sales-ready threshold
    back to `inquiry`, so the pool offers only leads that meet the rules of engagement.

    The bulk form of `leads.services.change_stage` for a rescore chunk the caller has locked:
    one UPDATE and one INSERT of StageChange rows for the whole chunk, nothing at all when no
    lead falls. An owned lead stays with its owner (the lead page and queue show that it no
    longer qualifies). Returns the leads moved.
    """
    from leads.kinds import TRANSITIONS, Stage
    from leads.models import Lead, StageChange

    threshold = book.thresholds.sales_ready
    falling = [
        lead for lead in leads if lead.stage == Stage.SALES_READY and lead.owner_id is None and lead.score < threshold
    ]
    if not falling:
        return []
    if Stage.INQUIRY not in TRANSITIONS[Stage.SALES_READY]:
        raise RuntimeError("The stage transition table no longer lets sales_ready go back to inquiry.")
    Lead.objects.filter(pk__in=[lead.pk for lead in falling]).update(stage=Stage.INQUIRY)
    StageChange.objects.bulk_create(
        [
            StageChange(
                lead=lead,
                from_stage=Stage.SALES_READY,
                to_stage=Stage.INQUIRY,
                reason=f"{RULES_CHANGED}: score {lead.score} is below sales-ready {threshold} ({why})"[:200],
            )
            for lead in falling
        ]
    )
    for lead in falling:
        lead.stage = Stage.INQUIRY
    return falling


# --- Drafts and publishing --------------------------------------------------------------------


def validate_definition(definition) -> RuleBook:
    """The rule book of a definition, or ValidationError with every problem keyed by path."""
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
    validate_definition(definition)
    draft = current_draft(by=by)
    draft.definition, draft.note = definition, note[:200]
    draft.save(update_fields=["definition", "note"])
    return draft


def discard_draft() -> None:
    RuleSet.objects.filter(status=RuleSetStatus.DRAFT).delete()


def publish_draft(*, by=None, version: int | None = None):
    """Publish the draft and start rescoring every lead on it in the background.

    The draft becomes the published version and the old one is retired in one transaction; a
    job (jobs.services) records the rescore in slices of lead ids, one per worker process, and
    its tasks are sent only once that has committed.

    Refused (Conflict) when the draft has the published rules (a new version that moves nobody
    would only cost a rescore of every lead), and, when `version` names the draft the caller
    saw, when that is no longer the draft: a second click on "Publish version 2" must not
    publish again whatever draft has replaced it.
    """
    from jobs.services import start_job
    from leads.models import Lead

    with transaction.atomic():
        # The published row first, then the draft: restore_version takes them in the same order,
        # so a publish and a restore at the same moment queue instead of deadlocking.
        published = RuleSet.objects.select_for_update().get(status=RuleSetStatus.PUBLISHED)
        draft = RuleSet.objects.select_for_update().filter(status=RuleSetStatus.DRAFT).first()
        if version is not None and (draft is None or draft.version != version):
            raise Conflict(_gone_draft_text(version))
        if draft is None:
            raise ValidationError({"draft": ["There is no draft to publish."]})
        validate_definition(draft.definition)
        if draft.definition == published.definition:
            raise Conflict(
                f"The draft has the same rules as the published version {published.version}: "
                "change something before publishing."
            )
        published.status = RuleSetStatus.RETIRED
        published.save(update_fields=["status"])
        draft.status, draft.published_at, draft.published_by = RuleSetStatus.PUBLISHED, timezone.now(), by
        draft.save(update_fields=["status", "published_at", "published_by"])
        ids = Lead.objects.aggregate(first=Min("pk"), last=Max("pk"))
        return start_job(
            kind="rescore",
            params={"version": draft.version},
            total=Lead.objects.exclude(rules_version=draft.version).count(),
            id_range=(ids["first"], ids["last"]) if ids["first"] is not None else None,
            slices=settings.CRM_RESCORE_SLICES,
            by=by,
        )


def _gone_draft_text(version: int) -> str:
    status = RuleSet.objects.filter(version=version).values_list("status", flat=True).first()
    if status in (RuleSetStatus.PUBLISHED, RuleSetStatus.RETIRED):
        return f"Version {version} is already published: nothing more to publish."
    return f"Version {version} is no longer the draft: reload the page to see the current one."


def restore_version(*, version: int, by=None, note: str = ""):
    """Publish an older version's rules again, as a new version, through `publish_draft` (so
    with its checks and its background rescore). Returns the rescore job.

    The rules go into the draft first; a draft holding unpublished edits is refused rather
    than overwritten, so nobody's work disappears, and so is a version whose rules are the
    published ones (restoring it would move nobody).
    """
    with transaction.atomic():
        old = RuleSet.objects.exclude(status=RuleSetStatus.DRAFT).filter(version=version).first()
        if old is None:
            raise RuleSet.DoesNotExist(f"No published or retired version {version}.")
        published = RuleSet.objects.select_for_update().get(status=RuleSetStatus.PUBLISHED)
        if old.definition == published.definition:
            which = (
                "is the published version"
                if old.pk == published.pk
                else f"has the same rules as the published version {published.version}"
            )
            raise Conflict(f"Version {version} {which}: there is nothing to restore.")
        draft = RuleSet.objects.select_for_update().filter(status=RuleSetStatus.DRAFT).first()
        if draft is not None and draft.definition != published.definition:
            raise Conflict(
                f"The draft (version {draft.version}) has edits that are not published: "
                "publish or discard them before restoring an older version."
            )
        draft = save_draft(definition=old.definition, note=note.strip() or f"Restored version {version}", by=by)
        draft.restored_from = version
        draft.save(update_fields=["restored_from"])
        return publish_draft(by=by, version=draft.version)


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
