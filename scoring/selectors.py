"""Scoring reads: the draft being edited, its preview against the leads we have, and the
history of versions."""

from __future__ import annotations

from django.db.models import Max, QuerySet

from scoring import preview
from scoring.definition import parse_definition
from scoring.diff import change_lines, diff_definitions
from scoring.models import RuleSet, RuleSetStatus
from scoring.services import book_for, published_rule_book

PREVIEW_LIMIT = 20_000  # above this many leads the preview reads an even sample (every n-th id)


def editable_draft() -> RuleSet:
    """The draft marketing is editing; without one, an unsaved copy of the published rules
    under the next version number, to show in the editor (the first save writes it)."""
    draft = RuleSet.objects.filter(status=RuleSetStatus.DRAFT).first()
    if draft is not None:
        return draft
    published = RuleSet.objects.get(status=RuleSetStatus.PUBLISHED)
    next_version = (RuleSet.objects.aggregate(top=Max("version"))["top"] or 0) + 1
    return RuleSet(version=next_version, status=RuleSetStatus.DRAFT, definition=published.definition)


def preview_draft(*, draft: RuleSet | None = None, definition: dict | None = None, limit: int = PREVIEW_LIMIT) -> dict:
    """How the draft would move leads compared with the published rules: both rule books score
    the same facts, so the difference is the rules' alone (leads.rescore.preview_rules says what
    is counted). `definition`, already validated, previews rules not yet saved (what is in the
    editor) under the draft's version number; without a draft, the published rules are compared
    with themselves."""
    draft = draft or editable_draft()
    after = book_for(draft) if definition is None else parse_definition(definition, version=draft.version)
    return preview.against_leads(published_rule_book(), after, limit=limit)


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
