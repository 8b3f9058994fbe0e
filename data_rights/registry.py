"""Every model that holds data about a contact: where one contact's rows are, the export's section
for them, and what erasure does to them. The export and the erasure both walk this table, so a
model listed here is exported and erased; tests/crm/test_data_rights.py fails when a model refers
to a contact or a lead (a foreign key, one-to-one or many-to-many, directly or through another
such model) without being listed, and when any model at all is neither listed nor in
NOT_PERSONAL with the reason it holds nothing about a contact.

To cover a new model: add a finder (its rows of a Scope) and an eraser (data_rights/erasers.py)
and list it in COVERED; the order is the order of the export's sections, and a finder may use the
ids found for the models above it (Scope.pks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Q, QuerySet

from data_rights import erasers
from data_rights.scope import Scope
from leads.kinds import EMAIL_SENT_KEY


@dataclass(frozen=True)
class Coverage:
    section: str  # the export's key
    rows: Callable[[Scope], QuerySet]  # one contact's rows of the model
    erase: Callable[[Scope], int]  # what erasure does to them; returns the rows it touched
    erasure: str  # the same in a few words: the audit's page in the admin shows it
    export: bool = True
    single: bool = False  # one row (the contact, their company), not a list


def _model(label: str):
    return apps.get_model(label)


def _of_leads(label: str) -> Callable[[Scope], QuerySet]:
    return lambda scope: _model(label)._default_manager.filter(lead_id__in=scope.lead_ids)


def _contact(scope: Scope) -> QuerySet:
    return _model("crm.Contact").objects.filter(pk=scope.contact.pk)


def _company(scope: Scope) -> QuerySet:
    return _model("crm.Company").objects.filter(pk=scope.contact.company_id or 0)


def _leads(scope: Scope) -> QuerySet:
    return _model("leads.Lead").objects.filter(pk__in=scope.lead_ids)


def _capture_replays(scope: Scope) -> QuerySet:
    """Stored capture answers name the lead and contact they made ({"lead", "contact", "status"})."""
    records = _model("leads.IdempotencyRecord").objects
    return records.filter(Q(response__lead__in=scope.lead_ids) | Q(response__contact=scope.contact.pk))


def _merges(scope: Scope) -> QuerySet:
    """The audit of the duplicate records merged into them: each names the merged record."""
    return _model("leads.ContactMerge").objects.filter(kept_id=scope.contact.pk)


def _merged_records(scope: Scope) -> QuerySet:
    return _model("leads.ContactMerge").objects.filter(pk__in=scope.pks.get("leads.ContactMerge", []))


def _emails(scope: Scope) -> QuerySet:
    """E-mails to their address or to a duplicate record's merged into them, their letters by
    e-mail (key letter:<id>), the e-mails people wrote them from the lead page (key
    lead-email:<interaction id>), their sequences' e-mails (key nurture:<enrolment>:<step>) and
    the e-mails of the notifications about their leads (key notification:<id>)."""
    keys = [f"letter:{pk}" for pk in scope.pks.get("followups.Letter", [])]
    written = _model("leads.Interaction").objects.filter(pk__in=scope.pks.get("leads.Interaction", []))
    keys += [f"{EMAIL_SENT_KEY}{pk}" for pk in written.filter(kind="email_sent").values_list("pk", flat=True)]
    keys += [f"notification:{pk}" for pk in scope.pks.get("notifications.Notification", [])]
    keys += list(_steps_done(scope).exclude(email_key="").values_list("email_key", flat=True))  # sequences'

    condition = Q(key__in=keys)
    addresses = {scope.contact.email} | set(_merged_records(scope).values_list("merged_email", flat=True))
    for address in sorted(address for address in addresses if address):
        condition |= Q(to_address__iexact=address)
    return _model("outbox.Email").objects.filter(condition)


def _of_enrolled_leads(scope: Scope) -> QuerySet:
    return _model("nurture.Enrolment").objects.filter(lead_id__in=scope.lead_ids)


def _steps_done(scope: Scope) -> QuerySet:
    return _model("nurture.StepRun").objects.filter(enrolment_id__in=scope.pks.get("nurture.Enrolment", []))


def _hits(scope: Scope) -> QuerySet:
    """Raw hits on their tracked links and their website visitor ids (kept CRM_TRACKING_KEEP_DAYS)."""
    links = scope.pks.get("tracking.TrackedLink", [])
    visitors = _model("tracking.Visitor").objects.filter(pk__in=scope.pks.get("tracking.Visitor", []))
    tokens = list(visitors.values_list("token", flat=True))
    # "not empty", said as the visitor index's own condition, lets SQLite read that partial index too.
    return _model("tracking.Hit").objects.filter(Q(link_id__in=links) | (Q(visitor__in=tokens) & ~Q(visitor="")))


def _erasure(scope: Scope) -> QuerySet:
    return _model("crm.Erasure").objects.filter(contact_id=scope.contact.pk)


def _admin_log(scope: Scope) -> QuerySet:
    """The admin's history of changes to any of the rows above (content type and object id)."""
    from django.contrib.contenttypes.models import ContentType

    condition = Q(pk__in=[])
    pks_of = {label: list(pks) for label, pks in scope.pks.items()}
    # A duplicate record merged into them was the same person; its own admin history is theirs too.
    pks_of["crm.Contact"] = pks_of.get("crm.Contact", []) + list(
        _merged_records(scope).values_list("merged_contact_id", flat=True)
    )
    for label, pks in pks_of.items():
        if pks and label != "admin.LogEntry":
            kind = ContentType.objects.get_for_model(_model(label))
            condition |= Q(content_type=kind, object_id__in=[str(pk) for pk in pks])
    return _model("admin.LogEntry").objects.filter(condition)


COVERED: dict[str, Coverage] = {
    "crm.Contact": Coverage(
        "contact", _contact, erasers.contact, "anonymized as “Erased contact”, do-not-contact", single=True
    ),
    "crm.Company": Coverage(
        "company", _company, erasers.company, "kept when others work there, else name and town removed", single=True
    ),
    "leads.Lead": Coverage("leads", _leads, erasers.lead, "texts blanked, open ones closed dead; figures kept"),
    "leads.Interaction": Coverage(
        "interactions", _of_leads("leads.Interaction"), erasers.interaction, "notes, answers, metadata removed"
    ),
    "leads.StageChange": Coverage(
        "stage_changes", _of_leads("leads.StageChange"), erasers.stage_change, "typed reasons blanked"
    ),
    "scoring.ScoreChange": Coverage(
        "score_changes", _of_leads("scoring.ScoreChange"), erasers.score_change, "kept, names replaced"
    ),
    "leads.Handover": Coverage("handovers", _of_leads("leads.Handover"), erasers.kept, "kept: no personal data"),
    "leads.LeadFeedback": Coverage("feedback", _of_leads("leads.LeadFeedback"), erasers.feedback, "reason blanked"),
    "notifications.Notification": Coverage(
        "notifications", _of_leads("notifications.Notification"), erasers.notification, "message replaced"
    ),
    "leads.IdempotencyRecord": Coverage("capture_replays", _capture_replays, erasers.idempotency_record, "deleted"),
    "campaigns.Redemption": Coverage(
        "offers_redeemed", _of_leads("campaigns.Redemption"), erasers.kept, "kept: counts toward the offer"
    ),
    "followups.FollowUp": Coverage(
        "followups", _of_leads("followups.FollowUp"), erasers.followup, "open ones cancelled; notes removed"
    ),
    "followups.Letter": Coverage(
        "letters", _of_leads("followups.Letter"), erasers.letter, "unprinted ones cancelled; texts removed"
    ),
    "leads.ContactMerge": Coverage(
        "merges", _merges, erasers.contact_merge, "the merged record's name, e-mail and phone removed and suppressed"
    ),
    "nurture.Enrolment": Coverage(
        "sequences", _of_enrolled_leads, erasers.enrolment, "active ones ended (reason: erased)"
    ),
    "nurture.StepRun": Coverage("sequence_steps", _steps_done, erasers.kept, "kept: step keys and outcomes only"),
    "outbox.Email": Coverage("emails", _emails, erasers.email, "unsent deleted; sent ones emptied"),
    "tracking.TrackedLink": Coverage(
        "tracked_links", _of_leads("tracking.TrackedLink"), erasers.deleting("tracking.TrackedLink"), "deleted"
    ),
    "tracking.Visitor": Coverage(
        "website_visitor_ids", _of_leads("tracking.Visitor"), erasers.deleting("tracking.Visitor"), "deleted"
    ),
    "tracking.Visit": Coverage(
        "website_visits", _of_leads("tracking.Visit"), erasers.deleting("tracking.Visit"), "deleted"
    ),
    "tracking.Hit": Coverage("tracking_hits", _hits, erasers.deleting("tracking.Hit"), "deleted"),
    "tracking.LeadActivity": Coverage(
        "engagement_by_hour", _of_leads("tracking.LeadActivity"), erasers.kept, "kept: counts only"
    ),
    "tracking.PendingRescore": Coverage(
        "waiting_rescore", _of_leads("tracking.PendingRescore"), erasers.deleting("tracking.PendingRescore"), "deleted"
    ),
    "crm.Erasure": Coverage("erasure", _erasure, erasers.kept, "the audit row itself", export=False),
    "admin.LogEntry": Coverage("admin_log", _admin_log, erasers.admin_log, "descriptions replaced"),
}

# Models that hold nothing about a contact, and why. A whole app is named by its label alone.
NOT_PERSONAL: dict[str, str] = {
    "auth": "staff accounts, groups and permissions: the CRM's users, not its contacts",
    "authtoken": "API tokens of staff",
    "contenttypes": "the list of models",
    "sessions": "staff sessions; a flash message naming a contact lives there for one request",
    "django_celery_beat": "the periodic task schedule: task names and intervals",
    "crm.Submission": "a form's one-time token and the id of what it made, kept one day",
    "crm.Suppression": "erased people's e-mails and phones as keyed hashes only: what erasure writes",
    "crm.StaffProfile": "a staff user's own settings (their time zone), nothing about a contact",
    "leads.FormKey": "web-form keys (hashed) and their allowed origins",
    "reports.CohortDay": "the scoreboard's counts and sums per day and owner: no lead or contact in them",
    "reports.CohortSource": "the scoreboard's counts per day and source (a UTM source, an id): no contact",
    "reports.CohortTrait": "how many leads of a day hold each industry, size band, title, persona, region, postal "
    "area, source or offer: counts per value, no contact",
    "reports.CohortSpread": "how many leads of a day have each cycle length, response time or score band",
    "reports.RollupState": "the one row naming the zone the rollups are counted in",
    "reports.CountingDay": "days a refresh of the rollups is counting: dates only",
    "reports.StaleQuarter": "quarters of an hour whose rollups are behind: times only",
    "leads.RulesOfEngagement": "the one row of sales-readiness settings",
    "scoring.RuleSet": "scoring rules written by marketing",
    "campaigns.Campaign": "marketing's campaigns and their segment filters",
    "campaigns.Offer": "offers: codes, headlines, limits",
    "campaigns.Placement": "where ads run and what they cost",
    "followups.FollowUpScript": "the questions planned after a close",
    "followups.LetterTemplate": "letter templates with merge fields, no reader's data",
    "nurture.Sequence": "a sequence's steps as marketing wrote them, with merge fields, no reader's data",
    "followups.LetterBatch": "a send of a template; its combined PDF is rewritten by followups.Letter's erasure",
    "jobs.Job": "background jobs: kind, progress and ids in params",
    "jobs.JobSlice": "a job's slices: id ranges and cursors",
    "tracking.SiteKey": "keys of the website script (hashed) and their allowed origins",
    "tracking.FoldCursor": "how far the fold's two passes have come: one hit id each",
    "tracking.ScoredBatch": "batches folded and not yet counted: hit ids and how many",
    "tracking.Tally": "counts per e-mail key, letter or offer: numbers only",
    "tracking.ScoredMark": "which e-mail, link or letter already scored on a day: keys, dates and the hit's id only",
    "imports.BoughtList": "a bought list as a source: its name, vendor and price",
    "imports.ImportRun": "an import's settings, cursor and tally; its error messages say what was wrong, "
    "not the values. The uploaded file and the rejected rows hold personal data on disk under "
    "CRM_IMPORTS_DIR with their own retention (imports.services.purge_import_files); suppressed "
    "rows are counted, never written there",
}


def referring_models(models=None) -> set[str]:
    """Every model with a foreign key, one-to-one or many-to-many to a contact or a lead, or to a
    model that has one (a letter's lead, a notification's lead), found from the models
    themselves (all installed models unless `models` are given)."""
    models = list(apps.get_models() if models is None else models)
    targets = {apps.get_model("crm.Contact"), apps.get_model("leads.Lead")}
    grew = True
    while grew:
        grew = False
        for model in models:
            if model in targets:
                continue
            for field in model._meta.get_fields():
                forward = field.is_relation and not field.auto_created and (field.concrete or field.many_to_many)
                if forward and field.related_model in targets:
                    targets.add(model)
                    grew = True
                    break
    return {model._meta.label for model in targets}


def unclassified_models() -> list[str]:
    """Models that are neither covered nor known to hold nothing about a contact."""
    known = set(COVERED) | set(NOT_PERSONAL)
    return sorted(
        model._meta.label
        for model in apps.get_models()
        if model._meta.label not in known and model._meta.app_label not in known
    )
