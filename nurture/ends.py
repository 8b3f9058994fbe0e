"""When an enrolment ends by itself: its goal reached, or its lead no longer to be contacted.

The rules are written once, as conditions on the enrolment and its lead, and used both by the
sweep that ends enrolments every minute (so the lead page says so soon) and by the step sweep,
which checks its batch first (so no step is done after the goal was reached). The reason is kept
on the enrolment and shown on the lead's timeline.

- erased: the contact's personal data was erased;
- do_not_contact: the contact was marked do not contact;
- won: a prospect won (won or customer) after enrolling; a customer's sequence goes on;
- sales_ready: a prospect became sales-ready after enrolling;
- closed: the lead was closed as dead;
- responded: they called in or sent a form after enrolling (a person will answer them now).
Unsubscribing ends every enrolment of the contact at once (nurture.unsubscribe).
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from leads.kinds import InteractionKind, Stage
from leads.models import Interaction
from nurture.models import Enrolment, EnrolmentStatus, ExitReason

CUSTOMER_STAGES = (Stage.WON, Stage.CUSTOMER)
RESPONSES = (InteractionKind.CALL_INBOUND, InteractionKind.FORM)


def rules() -> list[tuple[str, Q]]:
    responded = Exists(
        Interaction.objects.filter(
            lead_id=OuterRef("lead_id"), kind__in=RESPONSES, occurred_at__gt=OuterRef("enrolled_at")
        )
    )
    prospect = ~Q(stage_at_enrolment__in=CUSTOMER_STAGES)
    return [
        (ExitReason.ERASED, Q(lead__contact__erased_at__isnull=False)),
        (ExitReason.DO_NOT_CONTACT, Q(lead__contact__do_not_contact=True)),
        (ExitReason.WON, prospect & Q(lead__stage__in=CUSTOMER_STAGES)),
        (ExitReason.SALES_READY, prospect & Q(lead__sales_ready_at__gt=F("enrolled_at"))),
        (ExitReason.CLOSED, Q(lead__stage=Stage.DEAD)),
        (ExitReason.RESPONDED, Q(responded)),
    ]


def first_rule() -> Case:
    """The reason of the first rule an enrolment meets, "" for none: one expression, so the step
    sweep reads it with its batch (an annotation) instead of asking each rule of a thousand rows."""
    return Case(*(When(rule, then=Value(reason)) for reason, rule in rules()), default=Value(""))


def end_finished(enrolments: QuerySet[Enrolment] | None = None, *, now: datetime | None = None) -> set[int]:
    """End the active enrolments (of `enrolments`, else all) that must end; returns their ids."""
    now = now or timezone.now()
    active = (Enrolment.objects.all() if enrolments is None else enrolments).filter(status=EnrolmentStatus.ACTIVE)
    ended: set[int] = set()
    for reason, rule in rules():
        ids = list(active.filter(rule).exclude(pk__in=ended).values_list("pk", flat=True))
        if ids:
            end(ids, reason=reason, now=now)
            ended.update(ids)
    return ended


def end(ids, *, reason: str, now: datetime | None = None, by=None) -> int:
    """End these enrolments (the active ones among them) for `reason` (`by` a person, by hand)."""
    return Enrolment.objects.filter(pk__in=ids, status=EnrolmentStatus.ACTIVE).update(
        status=EnrolmentStatus.EXITED,
        exit_reason=reason,
        ended_at=now or timezone.now(),
        ended_by=by,
        due_at=None,
        waiting=False,
    )
