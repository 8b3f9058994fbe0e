"""Web-form capture: a website posts a prospect, we create or merge the contact and its lead.

The whole capture, including the idempotency record, is one transaction: a retry with the same
Idempotency-Key either sees the committed first answer and replays it, or (on PostgreSQL) waits on
the unique index until the first request commits. Twenty identical submissions make one lead.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.models import OfferStatus
from campaigns.selectors import offer_by_code, placement_for
from config.errors import Conflict
from crm.services import find_or_create_contact
from followups.letters.selectors import normalize_code as normalize_letter_code
from leads.kinds import InteractionKind, Source, Stage
from leads.models import FormKey, IdempotencyRecord, Lead, hash_form_key
from leads.services import attribute_letter, change_stage, locked_open_lead, open_lead, record_interaction
from scoring.services import published_rule_book

KEY_PREFIX = "wf_"
METADATA_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "offer_code")


@dataclass(frozen=True)
class CaptureResult:
    status_code: int
    body: dict
    replayed: bool = False


def create_form_key(
    *, name: str, allowed_origins: list[str] | None = None, default_offer_code: str = ""
) -> tuple[FormKey, str]:
    """A new web-form key. Returns the row and the raw key, which is shown once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Give the form key a name."]})
    if FormKey.objects.filter(name=name).exists():
        raise ValidationError({"name": [f"A form key named '{name}' already exists."]})
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    form_key = FormKey.objects.create(
        name=name,
        prefix=raw[:10],
        key_hash=hash_form_key(raw),
        allowed_origins=allowed_origins or [],
        default_offer_code=default_offer_code.strip().upper(),
    )
    return form_key, raw


def revoke_form_key(form_key: FormKey) -> None:
    """Stop accepting a key; leads it brought in stay."""
    if form_key.revoked_at is None:
        form_key.revoked_at = timezone.now()
        form_key.save(update_fields=["revoked_at"])


def active_form_key(raw_key: str) -> FormKey | None:
    if not raw_key:
        return None
    return FormKey.objects.filter(key_hash=hash_form_key(raw_key), revoked_at__isnull=True).first()


def capture_submission(
    *, form_key: FormKey, data: dict, idempotency_key: str = "", body_hash: str = ""
) -> CaptureResult:
    """Create or merge the contact and lead for one form submission (see CONTRACT "Capture")."""
    with transaction.atomic():
        record = None
        if idempotency_key:
            record, earlier = _claim_idempotency_key(form_key, idempotency_key, body_hash)
            if earlier is not None:
                return earlier
        result = _capture(form_key, data)
        if record is not None:
            record.status_code, record.response = result.status_code, result.body
            record.save(update_fields=["status_code", "response"])
    return result


def _claim_idempotency_key(form_key, key, body_hash) -> tuple[IdempotencyRecord | None, CaptureResult | None]:
    """Insert the key's record, or return the first answer given for it."""
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(form_key=form_key, key=key, body_hash=body_hash), None
        except IntegrityError:
            pass
        earlier = IdempotencyRecord.objects.filter(form_key=form_key, key=key).first()
        if earlier is None:
            continue  # the first request rolled back: take the key ourselves
        if earlier.created_at < timezone.now() - timedelta(hours=settings.CRM_IDEMPOTENCY_TTL_HOURS):
            earlier.delete()
            continue
        if earlier.body_hash != body_hash:
            raise Conflict("This Idempotency-Key was already used with a different body.")
        return None, CaptureResult(earlier.status_code, earlier.response, replayed=True)
    raise Conflict("This Idempotency-Key is in use by another request; retry shortly.")


def _offer_fields(code: str, data: dict) -> dict:
    """The lead's offer attribution (offer, campaign, placement); an unknown or expired code is
    kept as given and flagged."""
    if not code:
        return {}
    offer = offer_by_code(code)
    if offer is None:
        from followups.letters.selectors import letter_by_code

        if letter_by_code(code) is not None:  # the response code off a letter: not a problem
            return {"offer_code": code, "offer_code_problem": ""}
        return {"offer_code": code, "offer_code_problem": "unknown"}
    status = offer.status
    problem = "" if status == OfferStatus.LIVE else ("not_live" if status == OfferStatus.DRAFT else status)
    placement = placement_for(offer, utm_source=data.get("utm_source", ""), utm_medium=data.get("utm_medium", ""))
    return {
        "offer_code": code,
        "offer_code_problem": problem,
        "offer": offer,
        "campaign": offer.campaign,
        "placement": placement,
    }


def _capture(form_key: FormKey, data: dict) -> CaptureResult:
    contact, created = find_or_create_contact(
        email=data.get("email", ""),
        phone=data.get("phone", ""),
        first_name=data.get("first_name", ""),
        last_name=data.get("last_name", ""),
        title=data.get("title", ""),
        company_name=data.get("company", ""),
        consent=data.get("consent"),
    )
    message = data.get("message", "")
    offer_fields = _offer_fields(data.get("offer_code") or form_key.default_offer_code, data)
    lead = None if created else locked_open_lead(contact)
    book = published_rule_book()
    metadata = {"form": form_key.name, **{k: data[k] for k in METADATA_FIELDS if data.get(k)}}
    if offer_fields.get("offer_code") and "offer" not in offer_fields and not offer_fields.get("offer_code_problem"):
        metadata = attribute_letter(normalize_letter_code(offer_fields["offer_code"]), metadata)
    if lead is None:
        lead = open_lead(
            contact=contact,
            kind=InteractionKind.FORM,
            book=book,
            note=message,
            metadata=metadata,
            stage_reason=f"Web form: {form_key.name}",
            source=Source.WEB_FORM,
            form_key=form_key,
            inquiry_reason=message,
            utm_source=data.get("utm_source", ""),
            utm_medium=data.get("utm_medium", ""),
            utm_campaign=data.get("utm_campaign", ""),
            **offer_fields,
        ).lead
    else:
        _enrich_open_lead(lead, message, offer_fields)
        record_interaction(lead, kind=InteractionKind.FORM, book=book, note=message, metadata=metadata)  # locked above
    status = "created" if created else "merged"
    return CaptureResult(201 if created else 200, {"lead": lead.pk, "contact": contact.pk, "status": status})


def _enrich_open_lead(lead: Lead, message: str, offer_fields: dict) -> None:
    """A returning prospect: keep the lead's first facts, fill in what it lacked."""
    changed = []
    if message and not lead.inquiry_reason:
        lead.inquiry_reason = message
        changed.append("inquiry_reason")
    if offer_fields and not lead.offer_code:
        for name, value in offer_fields.items():
            setattr(lead, name, value)
            changed.append(name)
    if lead.stage == Stage.UNCLOSED:  # a `list` lead moves when its form interaction is logged
        change_stage(lead, to_stage=Stage.INQUIRY, reason="Responded: web form")
    if changed:
        lead.save(update_fields=changed)


def purge_expired_idempotency_records(now=None) -> int:
    """Forget Idempotency-Keys older than the replay window; returns how many went."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.CRM_IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
