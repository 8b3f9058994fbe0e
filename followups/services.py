"""Every write to follow-ups: scheduling after a close, callbacks by hand, rescheduling,
skipping, completing (answers, referrals, "needs not met"), and marking them due.

A follow-up is a row with a `due_at`; beat's `mark_due` moves the ones whose time has come
from scheduled to due with a conditional UPDATE and notifies their assignees in the same
transaction, so each is announced exactly once and nothing depends on a message in the broker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from config.errors import Conflict
from config.ids import parse_id
from config.text import one_line_errors
from crm.erased import refuse_if_erased
from crm.normalize import normalize_email, normalize_phone
from crm.roles import Role, has_role, members, roles_of
from followups.models import (
    AssigneeRule,
    FollowUp,
    FollowUpKind,
    FollowUpScript,
    FollowUpStatus,
    Trigger,
)
from followups.scripts import validate_answers
from leads import intake
from leads.kinds import InteractionKind, Source, Stage
from leads.models import Lead
from leads.selectors import sees_every_lead, visible_leads
from leads.services import record_interaction
from leads.stages import change_stage
from notifications.services import notify_many
from scoring.services import published_rule_book

MAX_AHEAD = timedelta(days=730)  # a callback two years out is a typo
TRIGGERS_BY_OUTCOME = {Stage.WON: (Trigger.CLOSED_WON, Trigger.AFTER_SALE), Stage.UNCLOSED: (Trigger.CLOSED_UNCLOSED,)}


@dataclass(frozen=True)
class Completed:
    followup: FollowUp
    referrals: list[Lead]
    escalated: FollowUp | None
    already_known: int = 0  # referred people we know already whom the caller may not see


# --- Scheduling ---------------------------------------------------------------------------------


def schedule_after_close(lead: Lead, *, outcome: str, closed_at: datetime, by=None) -> list[FollowUp]:
    """The follow-ups the active scripts plan for this outcome, written in the close's own
    transaction (sales.services.close_lead calls this)."""
    triggers = TRIGGERS_BY_OUTCOME.get(outcome, ())
    rows = []
    for script in FollowUpScript.objects.filter(active=True, trigger__in=triggers):
        assignee = lead.owner if script.assignee_rule == AssigneeRule.OWNER else None
        rows.append(
            FollowUp(
                lead=lead,
                kind=script.trigger,
                script_source=script,
                script=script.questions,
                due_at=closed_at + timedelta(days=script.delay_days),
                assignee=assignee,
                pool="" if assignee else Role.CSR,
                note=script.name,
                created_by=by,
            )
        )
    return FollowUp.objects.bulk_create(rows)


def give_calls(calls: list[tuple[Lead, str, bool, str]], *, at: datetime) -> list[FollowUp]:
    """Call tasks a nurture sequence gives, in one INSERT: (lead, what to say, to its owner?, the
    sequence's name). A call for the owner of a lead nobody owns goes to the CSR pool; beat's
    mark_due announces each when it falls due, as any follow-up."""
    rows = []
    for lead, note, to_owner, origin in calls:
        assignee = lead.owner if to_owner and lead.owner_id else None
        rows.append(
            FollowUp(
                lead=lead,
                kind=FollowUpKind.NURTURE,
                due_at=at,
                assignee=assignee,
                pool="" if assignee else Role.CSR,
                note=f"{origin}: {note}",
            )
        )
    return FollowUp.objects.bulk_create(rows)


def _clean_due_at(due_at) -> datetime:
    now = timezone.now()
    if not isinstance(due_at, datetime):
        raise ValidationError({"due_at": ["Give the date and time to call back."]})
    if timezone.is_naive(due_at):
        due_at = timezone.make_aware(due_at)
    if due_at < now - timedelta(minutes=5):
        raise ValidationError({"due_at": ["That time has passed: give one in the future."]})
    if due_at > now + MAX_AHEAD:
        raise ValidationError({"due_at": ["Give a time within two years."]})
    return due_at


def _assignee(assignee_id, lead: Lead):
    """The staff member a follow-up is for; a salesperson only for a lead they may see."""
    user = None
    if (pk := parse_id(assignee_id)) is not None:
        user = get_user_model().objects.filter(pk=pk, is_active=True).first()
    if user is None or not roles_of(user):
        raise ValidationError({"assignee": [f"No active staff member has the id {assignee_id!r}."]})
    if not visible_leads(user).filter(pk=lead.pk).exists():
        raise ValidationError({"assignee": [f"{user.username} cannot see this lead."]})
    return user


def schedule_callback(*, lead_id: int, due_at, by, note: str = "", assignee_id=None, within=None) -> FollowUp:
    """ "Call back Tuesday at 10": a follow-up by hand, for the caller (or whoever they name)."""
    lead = (Lead.objects.all() if within is None else within).select_related("contact").get(pk=lead_id)
    refuse_if_erased(lead.contact)
    due_at = _clean_due_at(due_at)
    assignee = by if assignee_id in (None, "") else _assignee(assignee_id, lead)
    return FollowUp.objects.create(
        lead=lead,
        kind=FollowUpKind.CALLBACK,
        due_at=due_at,
        assignee=assignee,
        note=(note or "").strip()[:2000],
        created_by=by,
    )


def _lock(followup_id: int, within: QuerySet | None) -> FollowUp:
    followups = FollowUp.objects.all() if within is None else within
    return followups.select_for_update(of=("self",)).select_related("lead__contact").get(pk=followup_id)


def reschedule(*, followup_id: int, by, due_at=None, assignee_id=None, within=None) -> FollowUp:
    """A new time or a new person for an open follow-up; a due one becomes scheduled again
    (and is announced again when its new time comes)."""
    if due_at is None and assignee_id is None:
        raise ValidationError({"due_at": ["Give a new time, a new assignee, or both."]})
    due_at = _clean_due_at(due_at) if due_at is not None else None
    with transaction.atomic():
        followup = _lock(followup_id, within)
        if not followup.is_open:
            raise Conflict(f"This follow-up is {followup.get_status_display().lower()}: it cannot be moved.")
        if assignee_id is not None:
            followup.assignee, followup.pool = _assignee(assignee_id, followup.lead), ""
        if due_at is not None:
            followup.due_at = due_at
            followup.status, followup.notified_at, followup.overdue_alerted_at = FollowUpStatus.SCHEDULED, None, None
        followup.save()
    return followup


def skip(*, followup_id: int, by, reason: str, within=None) -> FollowUp:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why it is skipped."]})
    with transaction.atomic():
        followup = _lock(followup_id, within)
        _check_open_and_theirs(followup, by)
        followup.status, followup.outcome = FollowUpStatus.SKIPPED, reason[:2000]
        followup.completed_by, followup.completed_at = by, timezone.now()
        followup.save(update_fields=["status", "outcome", "completed_by", "completed_at"])
    return followup


# --- Completing ---------------------------------------------------------------------------------


def validate_referrals(referrals) -> list[dict]:
    """Each referral needs a name and a way to reach them; normalized as a capture would be.
    Every problem is reported at once, keyed referrals[i].field."""
    if referrals in (None, ""):
        return []
    if not isinstance(referrals, list) or len(referrals) > 20:
        raise ValidationError({"referrals": ["Give a list of at most 20 people."]})
    clean, errors = [], {}
    for i, item in enumerate(referrals):
        where = f"referrals[{i}]"
        if not isinstance(item, dict):
            errors[where] = ['Each referral is {"first_name", "last_name", "email"?, "phone"?}.']
            continue
        values = {key: item.get(key) or "" for key in ("first_name", "last_name", "email", "phone")}
        if any(not isinstance(value, str) or len(value) > 100 for value in values.values()):
            errors[where] = ["Names, e-mail and phone are text of at most 100 characters."]
            continue
        values = {key: value.strip() for key, value in values.items()}
        if not values["first_name"] and not values["last_name"]:
            errors[f"{where}.first_name"] = ["Give the person's name."]
        for key, messages in one_line_errors(values).items():  # a line break in a name, refused
            errors[f"{where}.{key}"] = messages
        for key, normalize in (("email", normalize_email), ("phone", normalize_phone)):
            try:
                values[key] = normalize(values[key])
            except ValidationError as exc:
                errors[f"{where}.{key}"] = exc.messages
        if not values["email"] and not values["phone"] and f"{where}.email" not in errors:
            errors[f"{where}.email"] = ["Give an e-mail address or a phone number to reach them."]
        clean.append(values)
    if errors:
        raise ValidationError(errors)
    return clean


def complete(*, followup_id: int, by, answers=None, note: str = "", referrals=None, within=None) -> Completed:
    """Record the answers and a note on the follow-up and on the lead's timeline (a follow-up
    call), turn each referral into a lead linked to its referrer, and raise a follow-up for a
    manager when the needs were not met. After a sale the lead becomes a customer: back to
    marketing for loyalty and referrals. Everything is checked before anything is written;
    completing twice is a 409."""
    planned = (FollowUp.objects.all() if within is None else within).get(pk=followup_id)
    clean_answers = validate_answers(answers, planned.script)
    clean_referrals = validate_referrals(referrals)
    note = (note or "").strip()
    if not clean_answers and not clean_referrals and not note:
        raise ValidationError({"note": ["Record what was said: an answer, a referral or a note."]})
    with transaction.atomic():
        followup = _lock(followup_id, within)
        _check_open_and_theirs(followup, by)
        lead = Lead.objects.select_for_update(of=("self",)).select_related("contact__company").get(pk=followup.lead_id)
        received = [_referral(referrer=lead, by=by, **person) for person in clean_referrals]
        referred = [arrival.lead for arrival in received if not arrival.already_known]
        now = timezone.now()
        followup.status, followup.completed_at, followup.completed_by = FollowUpStatus.DONE, now, by
        followup.answers, followup.outcome = clean_answers, note[:5000]
        followup.save(update_fields=["status", "completed_at", "completed_by", "answers", "outcome"])
        record_interaction(
            lead,
            kind=InteractionKind.FOLLOW_UP,
            book=published_rule_book(),
            author=by,
            note=note,
            metadata={
                "followup": followup.pk,
                "followup_kind": followup.kind,
                "answers": _readable(clean_answers, followup.script),
                "referrals": [referral.pk for referral in referred],
            },
        )
        escalated = None
        if clean_answers.get("needs_met") == "no":
            escalated = FollowUp.objects.create(
                lead=lead,
                kind=FollowUpKind.NEEDS_NOT_MET,
                due_at=now,
                pool=Role.MANAGER,
                note=f"{lead.contact} said the needs were not met. {note}".strip()[:2000],
                created_by=by,
            )
        if followup.kind in (FollowUpKind.CLOSED_WON, FollowUpKind.AFTER_SALE) and lead.stage == Stage.WON:
            change_stage(lead, to_stage=Stage.CUSTOMER, by=by, reason="Followed up after the sale: back to marketing")
    return Completed(followup, referred, escalated, already_known=sum(arrival.already_known for arrival in received))


def _readable(answers: dict, script: list) -> list[dict]:
    texts = {question.get("key"): question.get("text", "") for question in script}
    return [{"question": texts.get(key, key), "answer": value} for key, value in answers.items()]


def _referral(*, referrer: Lead, by, first_name: str, last_name: str, email: str, phone: str) -> intake.Received:
    """A referred person comes in through the one intake as a `referral` linked to the referrer:
    never a second contact, never a second open lead. A salesperson's customer referred them: the
    salesperson keeps the new lead they earned (with a hand-over row of kind referral); referrals
    taken by a CSR or marketing join the inquiries like any other. Someone the salesperson may not
    see is "already known" and stays untouched."""
    reason = f"Referred by {referrer.contact}"
    return intake.receive(
        intake.Arrival(
            person=intake.Person(first_name=first_name, last_name=last_name, email=email, phone=phone),
            kind=InteractionKind.REFERRAL,
            source=Source.REFERRAL,
            stage_reason=reason,
            by=by,
            inquiry_reason=reason,
            metadata={"referrer_lead": referrer.pk},
            referrer=referrer,
            owner=by if by is not None and not sees_every_lead(by) else None,
        )
    )


# --- Due and overdue ----------------------------------------------------------------------------


def mark_due(*, now: datetime | None = None, batch: int = 500) -> int:
    """Move every scheduled follow-up whose time has come to due and tell its assignee (a pool's
    members get one line a run: "N follow-ups are due"). Rows another run holds are skipped, and
    the UPDATE only takes rows still scheduled, so each follow-up is announced once."""
    now = now or timezone.now()
    announced = 0
    while True:
        with transaction.atomic():
            ids = list(
                FollowUp.objects.filter(status=FollowUpStatus.SCHEDULED, due_at__lte=now)
                .order_by("due_at", "id")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                return announced
            FollowUp.objects.filter(pk__in=ids, status=FollowUpStatus.SCHEDULED).update(
                status=FollowUpStatus.DUE, notified_at=now
            )
            due = list(FollowUp.objects.filter(pk__in=ids).select_related("lead__contact", "assignee"))
            notify_many(_due_notifications(due))
            announced += len(due)


def _due_notifications(due: list[FollowUp]) -> list[tuple]:
    items, pooled = [], {}
    for followup in due:
        if followup.assignee is not None:
            message = f"Follow-up due: {followup.get_kind_display().lower()} with {followup.lead.contact}."
            if followup.note:
                message += f" {followup.note}"
            items.append((followup.assignee, followup.lead, message))
        else:
            pooled[followup.pool or Role.CSR] = pooled.get(followup.pool or Role.CSR, 0) + 1
    for role, count in pooled.items():
        noun = "follow-up is" if count == 1 else "follow-ups are"
        pool = "the managers'" if role == Role.MANAGER else "the CSR"
        items += [(user, None, f"{count} {noun} due in {pool} pool: see My follow-ups.") for user in members(role)]
    return items


def alert_overdue(*, now: datetime | None = None) -> int:
    """Tell the assignee (or the pool) and the managers, once, about a follow-up still not done
    CRM_FOLLOWUP_OVERDUE_HOURS after it fell due."""
    now = now or timezone.now()
    limit = now - timedelta(hours=settings.CRM_FOLLOWUP_OVERDUE_HOURS)
    the_managers = list(members(Role.MANAGER))
    alerted = 0
    overdue = FollowUp.objects.filter(status=FollowUpStatus.DUE, due_at__lte=limit, overdue_alerted_at__isnull=True)
    for followup in overdue.select_related("lead__contact", "assignee")[:1000]:
        with transaction.atomic():
            if not FollowUp.objects.filter(pk=followup.pk, overdue_alerted_at__isnull=True).update(
                overdue_alerted_at=now
            ):
                continue  # another run took it
            hours = int((now - followup.due_at).total_seconds() // 3600)
            message = f"Overdue {hours} h: {followup.get_kind_display().lower()} with {followup.lead.contact}."
            people = {user.pk: user for user in the_managers}
            if followup.assignee is not None:
                people[followup.assignee.pk] = followup.assignee
            notify_many([(user, followup.lead, message) for user in people.values()])
            alerted += 1
    return alerted


def may_work_on(user, followup: FollowUp) -> bool:
    """Whoever sees the lead may work its follow-ups, except those in the managers' pool."""
    return followup.pool != Role.MANAGER or has_role(user, Role.MANAGER)


def _check_open_and_theirs(followup: FollowUp, by) -> None:
    if not followup.is_open:
        raise Conflict(f"This follow-up is already {followup.get_status_display().lower()}.")
    if not may_work_on(by, followup):
        raise Conflict("This follow-up is for a manager.")
