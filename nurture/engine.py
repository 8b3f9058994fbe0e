"""Working the enrolments whose step has fallen due: the beat sweep's body.

A batch is at most CRM_NURTURE_BATCH enrolments, read in the sweep's order (due_at, id) through
the partial index enrolment_due_idx (active ones only) and row-locked with SKIP LOCKED, so two
workers never take the same one. In the batch's one transaction each enrolment first leaves if
it must (the rules of nurture.ends, read with the batch), then goes through its steps until a
wait that has not ended, an e-mail held back by the quiet hours or the daily cap, or the end:
every step done writes its StepRun (the database refuses a second one for the same enrolment and
step), its e-mail (outbox, keyed nurture:<enrolment>:<step>), its letter or its call, all in
bulk. A worker killed in the middle loses the transaction, and the next sweep does the batch
again from the start: each step exactly once.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from campaigns.models import Offer
from crm.models import Company
from followups.letters import emails, merge
from followups.letters.daily import add_to_daily_batch
from followups.services import give_calls
from imports.bulk import insert_rows
from leads.kinds import InteractionKind
from leads.models import Interaction
from nurture import clock, ends
from nurture.models import Enrolment, EnrolmentStatus, Sequence, SequenceStatus, StepRun
from nurture.steps import REFERRAL_FIELD
from outbox.services import Message, queue_emails
from tracking import links

logger = logging.getLogger(__name__)

EMAIL_KEY = "nurture:"  # nurture:<enrolment id>:<step key>
# What a branch's condition looks for since the previous step (a click is an open too).
SIGNS = {
    "opened": (InteractionKind.EMAIL_OPEN, InteractionKind.EMAIL_CLICK),
    "clicked": (InteractionKind.EMAIL_CLICK,),
    "scanned": (InteractionKind.QR_SCAN,),
    "visited": (InteractionKind.WEB_VISIT,),
}


ACTIONS = ("email", "letter", "call")  # what a branch counts from (a wait or a branch is not news to anyone)


def email_key(enrolment_id: int, step_key: str) -> str:
    return f"{EMAIL_KEY}{enrolment_id}:{step_key}"


@dataclass
class Work:
    """What a batch will write, gathered first and written in bulk."""

    now: datetime
    sent_today: int
    runs: list[tuple[int, str, str, str, str]] = field(default_factory=list)  # RUN_COLUMNS
    emails: list[tuple[Enrolment, dict]] = field(default_factory=list)
    letters: dict[int, list[tuple[Enrolment, dict]]] = field(default_factory=lambda: defaultdict(list))
    calls: list[tuple[Enrolment, dict]] = field(default_factory=list)
    seen: dict[tuple[int, str], datetime] = field(default_factory=dict)  # (lead, kind) → latest


def advance_due(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Work one batch of due enrolments; returns how many were taken (0: nothing is due)."""
    now = now or timezone.now()
    limit = limit or settings.CRM_NURTURE_BATCH
    with transaction.atomic():
        running = running_sequences()
        due = list(due_enrolments(now=now, limit=limit, running=running))
        if not due:
            return 0
        for enrolment in due:  # one Sequence, its steps read once, for all its enrolments
            enrolment.sequence = running[enrolment.sequence_id]
        _attach_shared([enrolment.lead for enrolment in due])
        leaving = defaultdict(list)  # reason → ids: the goal reached, or no longer to be contacted
        for enrolment in due:
            if enrolment.must_end:
                leaving[enrolment.must_end].append(enrolment.pk)
        for reason, ids in leaving.items():
            ends.end(ids, reason=reason, now=now)
        going = [e for e in due if not e.must_end]
        work = Work(now=now, sent_today=_sent_today(now))
        done = _done_steps(going)
        work.seen = _signs(going)
        for enrolment in going:
            _walk(enrolment, done[enrolment.pk], work)
        _write(going, work)
    return len(due)


def running_sequences() -> dict[int, Sequence]:
    return Sequence.objects.filter(status=SequenceStatus.ACTIVE).in_bulk()


# What the sweep reads of a lead (its steps, branches, merge fields, letters and calls): a lead
# row has forty-odd columns, its score's running counts among them, built into every instance.
LEAD_FIELDS = tuple(f"lead__{name}" for name in ("contact", "stage", "score", "owner", "offer"))
ENROLMENT_FIELDS = tuple(field.name for field in Enrolment._meta.concrete_fields)


def due_enrolments(*, now: datetime, limit: int, running: Iterable[int]) -> QuerySet[Enrolment]:
    """The sweep's read: up to `limit` active enrolments of the `running` sequences (their ids)
    due by `now`, oldest first, each row-locked and skipped if another worker holds it
    (enrolment_due_idx; run it in a transaction). Each comes with `must_end`, the first rule of
    nurture.ends it meets ("" for none), read in the same statement. The sequences are named by
    their ids, not joined and filtered on their status: the planner would guess how many
    enrolments that keeps (a table of a few sequences has no statistics: autovacuum never
    analyzes it) and sort every due one instead of reading the index's first rows; and each
    row would carry its sequence's steps again. `make bench` shows its plan. The companies,
    owners and offers the leads share are read apart (_attach_shared)."""
    return (
        Enrolment.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status=EnrolmentStatus.ACTIVE, due_at__lte=now, sequence_id__in=list(running))
        .select_related("lead__contact")
        .only(*ENROLMENT_FIELDS, *LEAD_FIELDS)
        .annotate(must_end=ends.first_rule())
        .order_by("due_at", "id")[:limit]
    )


def _attach_shared(leads: list) -> None:
    """Each lead's company, owner and offer, read once each for the batch and attached: a
    thousand leads share a few owners and offers, and a join would build each one again for
    every row (model instances were the sweep's largest cost in Python after the e-mails)."""
    contacts = [lead.contact for lead in leads]
    companies = Company.objects.in_bulk({contact.company_id for contact in contacts} - {None})
    owners = get_user_model().objects.in_bulk({lead.owner_id for lead in leads} - {None})
    offers = Offer.objects.in_bulk({lead.offer_id for lead in leads} - {None})
    for lead, contact in zip(leads, contacts, strict=True):
        _attach(contact, "company", companies)
        _attach(lead, "owner", owners)
        _attach(lead, "offer", offers)


def _attach(instance, name: str, found: dict) -> None:
    """Set a foreign key's object from `found`; one that is not there (gone since) stays unread."""
    key = getattr(instance, f"{name}_id")
    if key is None or key in found:
        instance._meta.get_field(name).set_cached_value(instance, found.get(key))


LANES = 2  # batches worked at once on PostgreSQL; a third would only wait for the other two's Python


def advance_all(*, now: datetime | None = None, budget_seconds: float = 50.0) -> int:
    """Batches until nothing is due or the budget is spent (the next sweep goes on). On
    PostgreSQL, LANES batches at a time, each in its own thread on its own connection: a batch
    spends about half its time waiting for its statements, and the other batch's e-mails are
    written meanwhile (SKIP LOCKED gives each its own enrolments; each is its own transaction,
    as before). SQLite takes one writer at a time: one batch after another there."""
    deadline = time.monotonic() + budget_seconds
    if connection.vendor != "postgresql":
        return _batches_until(deadline, now)
    with ThreadPoolExecutor(max_workers=LANES, thread_name_prefix="nurture-sweep") as lanes:
        return sum(lanes.map(lambda _lane: _lane_until(deadline, now), range(LANES)))


def _batches_until(deadline: float, now: datetime | None) -> int:
    total = 0
    while time.monotonic() < deadline:
        taken = advance_due(now=now)
        total += taken
        if not taken:
            break
    return total


def _lane_until(deadline: float, now: datetime | None) -> int:
    try:
        return _batches_until(deadline, now)
    finally:
        connections.close_all()  # this lane's thread's own connections, not the caller's


def _sent_today(now: datetime) -> int:
    return StepRun.objects.filter(kind="email", done_at__gte=clock.day_start(now)).exclude(email_key="").count()


def _done_steps(enrolments: list[Enrolment]) -> dict[int, set[str]]:
    done: dict[int, set[str]] = {e.pk: set() for e in enrolments}
    runs = StepRun.objects.filter(enrolment__in=enrolments).order_by()  # a set: no sort
    for enrolment_id, step in runs.values_list("enrolment_id", "step"):
        done[enrolment_id].add(step)
    return done


def _signs(enrolments: list[Enrolment]) -> dict[tuple[int, str], datetime]:
    """The latest open, click, scan and visit of each lead whose sequence branches on them."""
    branching = [e for e in enrolments if any(s["kind"] == "branch" for s in e.sequence.steps)]
    if not branching:
        return {}
    since = min(_since(e) for e in branching)
    kinds = {kind for signs in SIGNS.values() for kind in signs}
    rows = (
        Interaction.objects.filter(lead_id__in=[e.lead_id for e in branching], kind__in=kinds, occurred_at__gt=since)
        .values_list("lead_id", "kind")
        .annotate(latest=Max("occurred_at"))
    )
    return {(lead_id, kind): latest for lead_id, kind, latest in rows}


def _since(enrolment: Enrolment) -> datetime:
    """Where a branch's "since" begins: the last e-mail, letter or call, else the entry."""
    return enrolment.last_action_at or enrolment.enrolled_at


def _position(enrolment: Enrolment, steps: list[dict]) -> int:
    for position, step in enumerate(steps):
        if step["key"] == enrolment.next_step:
            return position
    return min(enrolment.next_position, len(steps))  # its step was taken out in an edit: go on from there


def _walk(enrolment: Enrolment, done: set[str], work: Work) -> None:
    """Do the enrolment's steps that are due, in order, and say what comes next."""
    steps = enrolment.sequence.steps
    position = _position(enrolment, steps)
    for _ in range(len(steps) + 1):
        if position >= len(steps):
            enrolment.status, enrolment.ended_at, enrolment.due_at = EnrolmentStatus.DONE, work.now, None
            enrolment.next_step, enrolment.waiting = "", False
            return
        step = steps[position]
        if step["key"] in done:  # done before an edit moved it: never again
            position += 1
            continue
        started = enrolment.waiting and enrolment.next_step == step["key"]  # this wait, begun earlier
        enrolment.next_step, enrolment.next_position = step["key"], position
        kind = step["kind"]
        if kind == "wait":
            if not started:
                enrolment.waiting, enrolment.due_at = True, clock.wait_until(step, enrolment.last_step_at)
            if enrolment.due_at > work.now:
                return
            _ran(enrolment, step, work, "waited")
            position += 1
            continue
        if kind == "email":
            hold = clock.quiet_until(work.now)
            if hold is None and work.sent_today >= settings.CRM_NURTURE_DAILY_CAP:
                hold = clock.next_day(work.now)
            if hold is not None:
                enrolment.due_at = hold
                return
            _ran(enrolment, step, work, _email(enrolment, step, work))
        elif kind == "letter":
            work.letters[step["template"]].append((enrolment, step))
            _ran(enrolment, step, work, "added to the day's letter batch")
        elif kind == "call":
            work.calls.append((enrolment, step))
            _ran(enrolment, step, work, "call task given")
        elif kind == "branch":
            yes = _holds(enrolment, step, work)
            _ran(enrolment, step, work, "yes" if yes else "no")
            target = step["then"] if yes else step["else"]
            if target == "end":
                position = len(steps)
                continue
            if target != "next":
                position = next((p for p, s in enumerate(steps) if s["key"] == target), position + 1)
                continue
        position += 1


RUN_COLUMNS = ("enrolment_id", "step", "kind", "outcome", "email_key")  # a StepRun, done at the batch's time


def _ran(enrolment: Enrolment, step: dict, work: Work, outcome: str) -> None:
    key = email_key(enrolment.pk, step["key"]) if outcome == "sent" else ""
    work.runs.append((enrolment.pk, step["key"], step["kind"], outcome[:200], key))
    enrolment.last_step_at, enrolment.waiting, enrolment.due_at = work.now, False, work.now
    if step["kind"] in ACTIONS:
        enrolment.last_action_at = work.now


def _email(enrolment: Enrolment, step: dict, work: Work) -> str:
    if emails.why_not(enrolment.lead, marketing=True):  # the lead page's rule for marketing e-mail
        return f"not sent: {_why_not_sent(enrolment.lead.contact)}"
    work.emails.append((enrolment, step))
    work.sent_today += 1
    return "sent"


def _why_not_sent(contact) -> str:
    """A few words kept with the step, never the contact's name or address (which erasure takes)."""
    if contact.erased_at is not None:
        return "erased"
    if not contact.email:
        return "no e-mail address"
    if contact.do_not_contact:
        return "do not contact"
    return "no consent to marketing e-mail"


def _holds(enrolment: Enrolment, step: dict, work: Work) -> bool:
    condition, lead = step["if"], enrolment.lead
    if condition == "score_at_least":
        return lead.score >= step["value"]
    if condition == "stage":
        return lead.stage == step["value"]
    since = _since(enrolment)
    return any(work.seen.get((lead.pk, kind), since) > since for kind in SIGNS[condition])


def _write(enrolments: list[Enrolment], work: Work) -> None:
    if work.runs:  # a second run of a step is refused (one_run_per_step): the batch rolls back
        columns = dict(zip(RUN_COLUMNS, (list(values) for values in zip(*work.runs, strict=True)), strict=True))
        insert_rows(StepRun, varying=columns, fixed={"done_at": work.now})
    _save(enrolments)
    _queue(work)
    for template_id, items in work.letters.items():
        add_to_daily_batch(template_id=template_id, leads=[e.lead for e, _step in items], at=work.now)
    give_calls(
        [
            (enrolment.lead, step["note"], step.get("to") == "owner", f"{enrolment.sequence.name}")
            for enrolment, step in work.calls
        ],
        at=work.now,
    )


MOVED = ("status", "next_step", "next_position", "waiting", "due_at", "last_step_at", "last_action_at", "ended_at")


def _save(enrolments: list[Enrolment]) -> None:
    """Where each enrolment now stands (MOVED), in one statement on PostgreSQL: an UPDATE from
    one array a column. Django's bulk_update builds a CASE of a thousand branches a column,
    which cost more than all the rest of the batch together; elsewhere it is used."""
    if not enrolments:
        return
    if connection.vendor != "postgresql":
        Enrolment.objects.bulk_update(enrolments, MOVED, batch_size=1000)
        return
    fields = [Enrolment._meta.pk, *(Enrolment._meta.get_field(name) for name in MOVED)]
    arrays = [[getattr(e, field.attname) for e in enrolments] for field in fields]  # str, int, bool, aware times
    columns = [connection.ops.quote_name(field.column) for field in fields]
    table = connection.ops.quote_name(Enrolment._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS e SET {', '.join(f'{column} = u.{column}' for column in columns[1:])} "
            f"FROM unnest({', '.join(f'%s::{field.db_type(connection)}[]' for field in fields)}) "
            f"AS u({', '.join(columns)}) WHERE e.{columns[0]} = u.{columns[0]}",
            arrays,
        )


def _queue(work: Work) -> None:
    """Each e-mail merged for its lead, its links tracked, into the outbox: all in bulk."""
    if not work.emails:
        return
    offers = Offer.objects.in_bulk({step["offer"] for _e, step in work.emails if step.get("offer")})
    drafts, messages = [], []
    today = timezone.localdate()
    for enrolment, step in work.emails:
        lead = enrolment.lead
        offer = offers.get(step["offer"]) if step.get("offer") else lead.offer  # the step's, else the lead's
        values = merge.values_for(lead=lead, code="", offer=offer, company_name=settings.CRM_COMPANY_NAME, today=today)
        values[REFERRAL_FIELD] = links.FORWARD_HERE
        subject = merge.merge(step["subject"], values).replace(links.FORWARD_HERE, "")
        text = merge.merge(step["text"], values)
        key = email_key(enrolment.pk, step["key"])
        drafts.append(
            links.Draft(
                key=key,
                lead_id=lead.pk,
                text=text,
                destinations=links.urls_in(step["text"]),
                offer_id=offer.pk if offer is not None else None,
            )
        )
        messages.append((key, lead.contact.email, subject))
    tracked = links.track_emails(drafts)
    queue_emails(
        [
            Message(key=key, to=to, subject=subject, text=t.text, html=t.html, unsubscribe_url=t.unsubscribe_url)
            for (key, to, subject), t in zip(messages, tracked, strict=True)
        ]
    )
