"""Web-form capture: a website posts a prospect, who comes in through the one intake
(leads.intake): the contact created or merged, the lead opened or joined.

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

from config.errors import Conflict
from leads import codes, intake
from leads.intake import UTM_FIELDS
from leads.kinds import InteractionKind, Source
from leads.models import FormKey, IdempotencyRecord, hash_form_key

KEY_PREFIX = "wf_"

_identify_visitor = None


def lend_visitors(identify) -> None:
    """Called once by the tracking app: `identify(visitor, lead)` says that the website script's
    visitor id belongs to this lead, so their earlier visits join it (in the capture's transaction)."""
    global _identify_visitor
    _identify_visitor = identify


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


def _capture(form_key: FormKey, data: dict) -> CaptureResult:
    """A web form through the one intake: a form interaction, the form's key and UTM fields on
    a new lead, the code (typed, or the key's default offer) kept even when unknown."""
    message = data.get("message", "")
    code = codes.resolve(data.get("offer_code") or form_key.default_offer_code)
    utm = {name: data[name] for name in UTM_FIELDS if data.get(name)}
    metadata = {"form": form_key.name, **utm, **({"offer_code": code.text} if code.text else {})}
    received = intake.receive(
        intake.Arrival(
            person=intake.Person(
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                email=data.get("email", ""),
                phone=data.get("phone", ""),
                company=data.get("company", ""),
                title=data.get("title", ""),
                consent=data.get("consent"),
            ),
            kind=InteractionKind.FORM,
            source=Source.WEB_FORM,
            stage_reason=f"Web form: {form_key.name}",
            note=message,
            inquiry_reason=message,
            code=code,
            utm=utm,
            metadata=metadata,
            form_key=form_key,
        )
    )
    if data.get("visitor") and _identify_visitor is not None:
        _identify_visitor(data["visitor"], received.lead)
    created = received.created_contact
    status = "created" if created else "merged"
    return CaptureResult(
        201 if created else 200, {"lead": received.lead.pk, "contact": received.contact.pk, "status": status}
    )


def purge_expired_idempotency_records(now=None) -> int:
    """Forget Idempotency-Keys older than the replay window; returns how many went."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.CRM_IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
