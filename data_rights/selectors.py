"""Reads for data rights: one contact's rows (the Scope), the export document, and what an
erasure would do (the confirmation page)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.utils import timezone

from data_rights.registry import COVERED
from data_rights.scope import Scope, identifiers_of
from followups.models import OPEN_FOLLOWUP_STATUSES, FollowUp, Letter, LetterStatus
from leads.kinds import OPEN_STAGES, Stage
from leads.models import Interaction, Lead
from outbox.models import Email

EXPORT_FORMAT = "lead-crm/contact-export/1"


def scope_for(contact, *, by=None, now: datetime | None = None) -> Scope:
    """The contact's leads, the leads those referred, and the ids of every covered model's rows,
    each finder seeing the ids found before it (registry order)."""
    lead_ids = list(Lead.objects.filter(contact=contact).order_by("pk").values_list("pk", flat=True))
    referred = Lead.objects.filter(referrer_id__in=lead_ids).exclude(contact=contact)
    scope = Scope(
        contact=contact,
        lead_ids=lead_ids,
        referred_lead_ids=list(referred.order_by("pk").values_list("pk", flat=True)),
        identifiers=identifiers_of(contact),
        now=now or timezone.now(),
        by=by,
    )
    for label, coverage in COVERED.items():
        scope.pks[label] = list(coverage.rows(scope).order_by("pk").values_list("pk", flat=True))
    return scope


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    return value


class _Usernames:
    """Staff are named by username in the export, each looked up once."""

    def __init__(self):
        self.names: dict[int, str] = {}

    def __call__(self, pk: int) -> str:
        if pk not in self.names:
            user = get_user_model().objects.filter(pk=pk).first()
            self.names[pk] = user.get_username() if user else f"user #{pk}"
        return self.names[pk]


def _as_document(row, usernames: _Usernames) -> dict:
    """Every stored field of a row, as JSON: related rows by id, staff by username. Generic, so
    a field added to a covered model is exported without anyone remembering to."""
    user_model = get_user_model()
    document = {}
    for field in row._meta.concrete_fields:
        value = getattr(row, field.attname)
        if field.is_relation and field.related_model is user_model and value is not None:
            value = usernames(value)
        document[field.name] = _plain(value)
    return document


def export_contact(contact) -> dict:
    """Everything held about the contact, as one JSON-ready document: a section per covered model
    (data_rights.registry), and the leads they referred (by id: those are other people).
    An erased contact's export says only that, and when."""
    if contact.erased_at is not None:
        erased_at = _plain(contact.erased_at)
        return {"format": EXPORT_FORMAT, "contact_id": contact.pk, "erased": True, "erased_at": erased_at}
    scope = scope_for(contact)
    usernames = _Usernames()
    document = {"format": EXPORT_FORMAT, "exported_at": _plain(scope.now), "contact_id": contact.pk, "erased": False}
    for label, coverage in COVERED.items():
        if not coverage.export:
            continue
        rows = [_as_document(row, usernames) for row in _ordered(scope, label)]
        document[coverage.section] = (rows[0] if rows else None) if coverage.single else rows
    document["referred_leads"] = scope.referred_lead_ids
    return document


def _ordered(scope: Scope, label: str):
    from django.apps import apps

    return scope.rows(apps.get_model(label)).order_by("pk").iterator(chunk_size=500)


def erasure_preview(contact) -> dict:
    """What erasing the contact would do, counted now: for the confirmation page."""
    scope = scope_for(contact)
    leads = scope.rows(Lead)
    letters = scope.rows(Letter).filter(status=LetterStatus.SENT)
    emails = scope.rows(Email)
    colleagues = type(contact).objects.filter(company_id=contact.company_id, erased_at__isnull=True)
    shared = contact.company_id is not None and colleagues.exclude(pk=contact.pk).exists()
    won = leads.filter(stage__in=[Stage.WON, Stage.CUSTOMER])
    return {
        "leads": len(scope.lead_ids),
        "open_leads": leads.filter(stage__in=list(OPEN_STAGES)).count(),
        "won_leads": won.count(),
        "revenue": won.aggregate(total=Sum("won_amount"))["total"],
        "interactions": scope.rows(Interaction).count(),
        "open_followups": scope.rows(FollowUp).filter(status__in=OPEN_FOLLOWUP_STATUSES).count(),
        "unprinted_letters": letters.filter(batch__pdf="").count(),
        "printed_letters": letters.exclude(batch__pdf="").count(),
        "unsent_emails": emails.filter(sent_at__isnull=True).count(),
        "sent_emails": emails.filter(sent_at__isnull=False).count(),
        "referred_leads": len(scope.referred_lead_ids),
        "company_shared": shared,
        "suppressed": [kind for kind, value in (("e-mail", contact.email), ("phone", contact.phone)) if value],
    }
