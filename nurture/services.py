"""Every write to sequences and enrolments: saving (checked with every reason first), starting
and pausing, enrolling by hand or by a trigger, and taking a lead out by hand.

Enrolling writes the enrolment due at once; the step sweep (nurture.engine, from beat every
30 seconds and right after an enrolment commits) does its steps. At most one active enrolment per
lead per sequence: the database refuses a second (one_active_enrolment_per_lead).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from config.errors import Conflict
from config.ids import parse_id, parse_int
from leads.kinds import Source, Stage
from leads.models import Lead
from nurture import ends
from nurture.models import Enrolment, EnrolmentStatus, ExitReason, Sequence, SequenceStatus, Trigger
from nurture.steps import clean_steps, for_people

logger = logging.getLogger(__name__)

MAX_TRIGGER_DAYS = 365
MAX_ENROL = 10_000  # leads in one request


def save_sequence(*, sequence: Sequence | None = None, by=None, **fields) -> Sequence:
    """Create or change a sequence, refusing (400) with every reason at once: the name, the
    trigger and its days, each step. A running sequence may be edited: its steps keep their keys,
    so what an enrolment did is never done again."""
    errors: dict[str, list[str]] = {}
    sequence = sequence or Sequence(created_by=by)
    name = str(fields.get("name", sequence.name) or "").strip()
    if not name:
        errors["name"] = ["Give the sequence a name."]
    elif len(name) > 120:
        errors["name"] = ["Keep the name under 120 characters."]
    elif Sequence.objects.filter(name__iexact=name).exclude(pk=sequence.pk).exists():
        errors["name"] = [f"A sequence is already called {name!r}."]
    trigger = fields.get("trigger", sequence.trigger) or ""
    if trigger not in ("", *Trigger.values):
        errors["trigger"] = [f"{trigger!r} is not a trigger: use one of {', '.join(Trigger.values)}, or none."]
    days = parse_int(fields.get("trigger_days", sequence.trigger_days) or 0)
    if days is None or not 0 <= days <= MAX_TRIGGER_DAYS:
        errors["trigger_days"] = [f"Give the trigger's days as a whole number from 0 to {MAX_TRIGGER_DAYS}."]
    elif trigger == Trigger.INQUIRY_NOT_READY and days < 1:
        errors["trigger_days"] = ["Say after how many days an inquiry that is not sales-ready enters (1 or more)."]
    steps, next_key = sequence.steps, sequence.next_key
    if "steps" in fields or sequence.pk is None:
        try:
            steps, next_key = clean_steps(fields.get("steps"), existing=sequence.steps, next_key=sequence.next_key)
        except ValidationError as exc:
            errors |= exc.message_dict
    description = str(fields.get("description", sequence.description) or "").strip()[:300]
    if errors:
        raise ValidationError(errors)
    sequence.name, sequence.trigger, sequence.trigger_days = name, trigger, days
    sequence.steps, sequence.next_key, sequence.description = steps, next_key, description
    sequence.save()
    return sequence


def set_status(sequence_id: int, status: str) -> Sequence:
    """Start (active) or pause a sequence. Starting checks its steps again (a letter template may
    have been archived since): refused with every reason (400). Pausing holds every enrolment
    where it is; starting again goes on from there. A draft cannot be paused (409): it never ran."""
    if status not in (SequenceStatus.ACTIVE, SequenceStatus.PAUSED):
        raise ValidationError({"status": ["A sequence is started (active) or paused."]})
    with transaction.atomic():
        sequence = Sequence.objects.select_for_update().get(pk=sequence_id)
        if status == SequenceStatus.PAUSED and sequence.status == SequenceStatus.DRAFT:
            raise Conflict(f"{sequence.name!r} has not started: there is nothing to pause.")
        if status == SequenceStatus.ACTIVE:
            clean_steps(for_people(sequence.steps), existing=sequence.steps, next_key=sequence.next_key)
        sequence.status = status
        sequence.save(update_fields=["status", "updated_at"])
    return sequence


@dataclass
class Enrolled:
    enrolled: list[int] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)


def why_not_enrol(lead: Lead, active: set[int]) -> str:
    """Why the lead cannot enter (a reason code), or ""."""
    if lead.pk in active:
        return "already_enrolled"
    if lead.contact.erased_at is not None:
        return "erased"
    if lead.contact.do_not_contact:
        return "do_not_contact"
    if lead.stage == Stage.DEAD:
        return "closed"
    return ""


def enrol(*, sequence_id, lead_ids, by=None, within: QuerySet[Lead] | None = None, dry_run: bool = False) -> Enrolled:
    """Put leads into a sequence (by hand: `by`, or by its trigger), each due at once. Skipped,
    each with its reason: an unknown lead or one `within` leaves out (not_found), one already in
    the sequence, an erased contact, one marked do not contact, a dead lead. A draft sequence
    takes nobody (409: start it first). `dry_run` says who would enter and writes nothing."""
    pk = parse_id(sequence_id)
    sequence = Sequence.objects.filter(pk=pk).first() if pk else None
    if sequence is None:
        raise Sequence.DoesNotExist
    if sequence.status == SequenceStatus.DRAFT:
        raise Conflict(f"{sequence.name!r} is a draft: start it before enrolling leads.")
    if not isinstance(lead_ids, list) or not lead_ids:
        raise ValidationError({"leads": ["Give the ids of the leads to enrol, as a list."]})
    if len(lead_ids) > MAX_ENROL:
        raise ValidationError({"leads": [f"Enrol at most {MAX_ENROL:,} leads at a time."]})
    result = Enrolled()
    wanted = []
    for value in lead_ids:
        lead_id = parse_id(value)
        if lead_id is None:
            result.skipped.append({"lead": value, "reason": "not_found"})
        elif lead_id not in wanted:
            wanted.append(lead_id)
    leads_qs = Lead.objects.all() if within is None else within
    found = leads_qs.select_related("contact").in_bulk(wanted)
    with transaction.atomic():
        active = set(
            Enrolment.objects.filter(sequence=sequence, lead_id__in=wanted, status=EnrolmentStatus.ACTIVE).values_list(
                "lead_id", flat=True
            )
        )
        now = timezone.now()
        rows = []
        for lead_id in wanted:
            lead = found.get(lead_id)
            reason = "not_found" if lead is None else why_not_enrol(lead, active)
            if reason:
                result.skipped.append({"lead": lead_id, "reason": reason})
                continue
            rows.append(_enrolment(sequence, lead, by=by, now=now))
        if dry_run:
            result.enrolled = [row.lead_id for row in rows]
            return result
        Enrolment.objects.bulk_create(rows, ignore_conflicts=True)  # one enrolled meanwhile stays as it was
        result.enrolled = list(
            Enrolment.objects.filter(
                sequence=sequence, lead_id__in=[row.lead_id for row in rows], enrolled_at=now
            ).values_list("lead_id", flat=True)
        )
        result.skipped += [
            {"lead": row.lead_id, "reason": "already_enrolled"} for row in rows if row.lead_id not in result.enrolled
        ]
        if result.enrolled:
            transaction.on_commit(start_sweep)
    return result


def _enrolment(sequence: Sequence, lead: Lead, *, by, now: datetime, by_trigger: bool = False) -> Enrolment:
    return Enrolment(
        sequence=sequence,
        lead=lead,
        stage_at_enrolment=lead.stage,
        enrolled_at=now,
        enrolled_by=by,
        by_trigger=by_trigger,
        next_step=sequence.steps[0]["key"] if sequence.steps else "",
        due_at=now,
        last_step_at=now,
    )


def start_sweep() -> None:
    """Ask a worker to do the steps now, not at the next beat (the beat does them if this fails)."""
    from nurture.tasks import bulk_advance_sequences

    try:
        bulk_advance_sequences.delay()
    except Exception:
        logger.exception("Could not ask a worker to advance the sequences; beat will")


def take_out(*, enrolment_id, by=None) -> Enrolment:
    """End an active enrolment by hand (reason removed); 409 for one already ended."""
    pk = parse_id(enrolment_id)
    if not pk or not ends.end([pk], reason=ExitReason.REMOVED, by=by):
        if pk and Enrolment.objects.filter(pk=pk).exists():
            raise Conflict("This enrolment has ended already.")
        raise Enrolment.DoesNotExist
    return Enrolment.objects.get(pk=pk)


# --- Triggers ---------------------------------------------------------------------------------------


def trigger_candidates(sequence: Sequence, *, now: datetime | None = None) -> QuerySet[Lead]:
    """The leads the sequence's trigger would enrol now: those that reached its moment between
    `trigger_days` and `trigger_days` + CRM_NURTURE_TRIGGER_LOOKBACK_DAYS ago (so starting a
    sequence does not sweep in years of old leads) and were never in it. The page shows them
    before the sequence starts ("who would enter")."""
    now = now or timezone.now()
    latest = now - timedelta(days=sequence.trigger_days)
    earliest = latest - timedelta(days=settings.CRM_NURTURE_TRIGGER_LOOKBACK_DAYS)
    leads = Lead.objects.filter(contact__erased_at__isnull=True, contact__do_not_contact=False)
    if sequence.trigger == Trigger.INQUIRY_NOT_READY:
        leads = leads.filter(stage=Stage.INQUIRY, sales_ready_at__isnull=True, inquired_at__range=(earliest, latest))
    elif sequence.trigger == Trigger.UNCLOSED:
        leads = leads.filter(stage=Stage.UNCLOSED, closed_at__range=(earliest, latest))
    elif sequence.trigger == Trigger.CUSTOMER:
        leads = leads.filter(stage__in=(Stage.WON, Stage.CUSTOMER), closed_at__range=(earliest, latest))
    elif sequence.trigger == Trigger.IMPORTED:
        leads = leads.filter(stage=Stage.LIST, source=Source.LIST, created_at__range=(earliest, latest))
    else:
        return Lead.objects.none()
    ever = Enrolment.objects.filter(sequence=sequence, lead_id=OuterRef("pk"))
    return leads.filter(~Exists(ever))


def enrol_by_triggers(*, now: datetime | None = None, limit: int = 5_000) -> int:
    """Enrol, in each running sequence with a trigger, up to `limit` leads it now finds."""
    now = now or timezone.now()
    total = 0
    for sequence in Sequence.objects.filter(status=SequenceStatus.ACTIVE).exclude(trigger=""):
        leads = list(trigger_candidates(sequence, now=now).select_related("contact").order_by("pk")[:limit])
        if not leads:
            continue
        with transaction.atomic():
            rows = [_enrolment(sequence, lead, by=None, now=now, by_trigger=True) for lead in leads]
            created = Enrolment.objects.bulk_create(rows, ignore_conflicts=True)
            total += len(created)
            transaction.on_commit(start_sweep)
    return total
