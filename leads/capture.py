"""Web-form capture: a website posts a prospect, who comes in through the one intake
(leads.intake): the contact created or merged, the lead opened or joined.

The whole capture, including the idempotency record, is one transaction: a retry with the same
Idempotency-Key either sees the committed first answer and replays it, or (on PostgreSQL) waits on
the unique index until the first request commits. Twenty identical submissions make one lead.
"""

from __future__ import annotations

import secrets
import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from config.errors import Conflict
from config.inserts import NewRow
from leads import codes, intake
from leads.codes import NO_CODE, Code
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
    """Stop accepting a key; leads it brought in stay. Other processes stop at once too: their
    writes check the key's row (see `active_form_key`)."""
    if form_key.revoked_at is None:
        form_key.revoked_at = timezone.now()
        form_key.save(update_fields=["revoked_at"])
    forget_form_key(form_key)


# The active keys this process has read, by hash: (read until, the row). A key is checked against
# its row wherever it matters: the one statement that writes a new prospect writes only if the
# row is still as held here, and every other capture reads the row again first. What the memory
# spares is the read before that: for up to KEY_MEMORY_SECONDS after a key is edited in another
# process, a request can be refused (401, 403) by what the key was, never written with it.
KEY_MEMORY_SECONDS = 60.0
_known_keys: dict[str, tuple[float, FormKey]] = {}


class FormKeyChanged(Exception):
    """The key this process held was revoked or edited since it read it: read it again."""


def active_form_key(raw_key: str, *, fresh: bool = False) -> FormKey | None:
    """The active key with this raw value; from this process's memory when read in the last
    KEY_MEMORY_SECONDS, unless `fresh`. Unknown and revoked keys are always looked up."""
    if not raw_key:
        return None
    digest = hash_form_key(raw_key)
    now = time.monotonic()
    held = _known_keys.get(digest)
    if held is not None and held[0] > now and not fresh:
        return held[1]
    form_key = FormKey.objects.filter(key_hash=digest, revoked_at__isnull=True).first()
    if form_key is None:
        _known_keys.pop(digest, None)
    else:
        _known_keys[digest] = (now + KEY_MEMORY_SECONDS, form_key)
    return form_key


def forget_form_key(form_key: FormKey) -> None:
    _known_keys.pop(form_key.key_hash, None)


def _as_stored(form_key: FormKey) -> FormKey:
    """The key read again; FormKeyChanged (and forgotten here) if it is no longer as held."""
    stored = FormKey.objects.filter(pk=form_key.pk).first()
    if stored is None or stored.acting_facts() != form_key.acting_facts():
        forget_form_key(form_key)
        raise FormKeyChanged
    return stored


def capture_submission(
    *, form_key: FormKey, data: dict, idempotency_key: str = "", body_hash: str = ""
) -> CaptureResult:
    """Create or merge the contact and lead for one form submission (see CONTRACT "Capture").

    A new prospect with no code is written by one statement (leads.intake.receive_new), the
    idempotency record with its answer included; anyone else, or anything that statement did not
    write, goes the longer way: the key read again, the record claimed first, then the intake.
    Raises FormKeyChanged when the key was revoked or edited since this process read it."""
    new = _capture_new(form_key, data, idempotency_key, body_hash)
    if new is not None:
        return new
    form_key = _as_stored(form_key)
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


def _capture_new(form_key: FormKey, data: dict, idempotency_key: str, body_hash: str) -> CaptureResult | None:
    """A new prospect in one statement, or None having written nothing."""
    if data.get("offer_code") or form_key.default_offer_code:
        return None  # codes are resolved, attributed and counted the longer way

    def record() -> list[NewRow]:
        if not idempotency_key:
            return []
        lead, contact = (connection.ops.quote_name(alias) + '."id"' for alias in ("lead", "contact"))
        answer = f"jsonb_build_object('lead', {lead}, 'contact', {contact}, 'status', 'created')"
        row = IdempotencyRecord(form_key=form_key, key=idempotency_key, body_hash=body_hash, status_code=201)
        return [NewRow("idempotency", row, sources=("contact", "lead"), values={"response": (answer, [])})]

    visitor = data.get("visitor") if _identify_visitor is not None else ""
    try:
        # The visitor joins the lead in the same transaction (tracking.visitors.identify).
        with transaction.atomic() if visitor else nullcontext():
            received = intake.receive_new(_arrival(form_key, data, NO_CODE), also=record)
            if received is not None and visitor:
                _identify_visitor(visitor, received.lead)
    except IntegrityError:
        return None  # the Idempotency-Key is taken: replayed or refused the longer way
    if received is None:
        return None
    return CaptureResult(201, {"lead": received.lead.pk, "contact": received.contact.pk, "status": "created"})


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


def _arrival(form_key: FormKey, data: dict, code: Code) -> intake.Arrival:
    """A web form as an arrival: a form interaction, the form's key and UTM fields on a new
    lead, the code (typed, or the key's default offer) kept even when unknown."""
    message = data.get("message", "")
    utm = {name: data[name] for name in UTM_FIELDS if data.get(name)}
    metadata = {"form": form_key.name, **utm, **({"offer_code": code.text} if code.text else {})}
    return intake.Arrival(
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


def _capture(form_key: FormKey, data: dict) -> CaptureResult:
    """A web form through the one intake (`receive`)."""
    code = codes.resolve(data.get("offer_code") or form_key.default_offer_code)
    received = intake.receive(_arrival(form_key, data, code))
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
