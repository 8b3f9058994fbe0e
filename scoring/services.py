"""Rule sets: the published rule book every score is computed with, and marketing's draft,
saved, published (which starts the rescore of every lead, a job the leads app runs: see
leads/rescore.py) or restored from an older version.

Scoring sits below leads: nothing here reads or writes a lead. A lead's score is saved by
leads/scores.py around the pure engine (scoring/engine.py)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from config.errors import Conflict
from config.parsers import UnsafeDocument, check_document
from jobs.services import start_job
from scoring.definition import parse_definition
from scoring.engine import RuleBook, RuleBookError
from scoring.models import RuleSet, RuleSetStatus

_parsed_books: dict[int, RuleBook] = {}
_published_version: int | None = None  # the version this process last read as the published one


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
    global _published_version
    row = RuleSet.objects.filter(status=RuleSetStatus.PUBLISHED).values_list("version", "definition").first()
    if row is None:
        raise NoPublishedRules("No published scoring rule set.")
    book = _cached_book(*row)
    _published_version = book.version
    return book


def last_published_rule_book() -> RuleBook | None:
    """The rule book this process last read as the published one, with no query (None before
    the first read). Only for a writer that checks, in the very statement that writes, that this
    version is still the published one (`published_version_is`), and reads the rules afresh with
    `published_rule_book` when it is not: leads.intake's `receive_new`. Published versions never
    change, so the version alone says the rules are the same; a test that rewrites a version's
    rules in place clears `_parsed_books`, which empties this too."""
    version = _published_version
    return None if version is None else _parsed_books.get(version)


def published_version_is(version: int) -> tuple[str, list]:
    """SQL (with its parameters) true while `version` is the published rule set's."""
    table = RuleSet._meta.db_table
    return f"EXISTS (SELECT 1 FROM {table} WHERE status = %s AND version = %s)", [RuleSetStatus.PUBLISHED, version]


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
        # The rescore is a job kind of the leads app (jobs.kinds): it counts and slices the leads.
        return start_job(kind="rescore", params={"version": draft.version}, slices=settings.CRM_RESCORE_SLICES, by=by)


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
