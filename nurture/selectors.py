"""What the sequence pages and the lead page read about sequences and enrolments: the list with
its counts, a sequence's steps in words, the trigger's preview, the report laid out as tables, and
a lead's enrolments with the step each is at. Every write is nurture.services'."""

from __future__ import annotations

from django.db.models import Count, Q

from crm.roles import Role, has_role
from nurture import report, services
from nurture.models import Enrolment, EnrolmentStatus, ExitReason, Sequence, SequenceStatus
from nurture.steps import CONDITIONS, describe, for_people

PREVIEW_SHOWN = 20
# Why services.enrol skipped a lead, in words for the pages.
SKIP_REASONS = {
    "already_enrolled": "already in it",
    "erased": "personal data erased",
    "do_not_contact": "marked do not contact",
    "closed": "closed as dead",
    "not_found": "not a lead you may see",
}


def trigger_words(sequence: Sequence) -> str:
    """Who the trigger enrols, in words with its days ("Became a customer, 1 day ago"), or how else."""
    if not sequence.trigger:
        return "By hand only"
    days = sequence.trigger_days
    return sequence.get_trigger_display().replace("N days", f"{days} day{'s' if days != 1 else ''}")


def sequences_with_counts() -> list[Sequence]:
    """Every sequence with `enrolled` (leads that ever entered, each once), `active` (in it now)
    and `trigger_words`."""
    sequences = list(
        Sequence.objects.annotate(
            enrolled=Count("enrolments__lead", distinct=True),
            active=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.ACTIVE)),
        ).order_by("name")
    )
    for sequence in sequences:
        sequence.trigger_words = trigger_words(sequence)
    return sequences


def open_sequences() -> list[Sequence]:
    """The sequences a lead may be added to by hand: the running and the paused ones (a draft
    takes nobody until it is started)."""
    return list(Sequence.objects.exclude(status=SequenceStatus.DRAFT).only("pk", "name", "status").order_by("name"))


def _target(value) -> str:
    return {"next": "the next step", "end": "the end"}.get(value, f"step {value}")


def step_lines(sequence: Sequence) -> list[dict]:
    """Each step as one line of words, numbered as people write them (branch targets as numbers)."""
    lines = []
    for number, (stored, shown) in enumerate(zip(sequence.steps, for_people(sequence.steps), strict=True), start=1):
        what = describe(stored)
        if stored["kind"] == "branch":
            what += f" (they {CONDITIONS.get(stored['if'], stored['if'])}): then {_target(shown['then'])}"
            what += f", else {_target(shown['else'])}"
        lines.append({"number": number, "kind": stored["kind"], "key": stored["key"], "what": what})
    return lines


def trigger_preview(sequence: Sequence) -> dict | None:
    """Who the sequence's trigger would enrol now: how many, and the first few (None without a trigger)."""
    if not sequence.trigger:
        return None
    leads = services.trigger_candidates(sequence).select_related("contact").order_by("pk")
    return {"total": leads.count(), "leads": list(leads[:PREVIEW_SHOWN]), "shown": PREVIEW_SHOWN}


def report_tables(sequence: Sequence) -> dict:
    """nurture.report's figures with their labels and definitions, ready for the page's tables."""
    figures = report.report(sequence)
    definitions = figures["definitions"]
    labels = dict(ExitReason.choices)
    return {
        "people": [
            ("Enrolled", figures["enrolled"], definitions["enrolled"]),
            ("Leads", figures["leads"], definitions["leads"]),
            ("Active", figures["active"], definitions["active"]),
            ("Done", figures["done"], definitions["done"]),
        ],
        "exited": [(labels[reason], count) for reason, count in figures["exited"].items()],
        "exited_total": sum(figures["exited"].values()),
        "steps": figures["steps"],
        "followed": figures["followed"],
        "definitions": definitions,
    }


def lead_enrolments(lead) -> list[Enrolment]:
    """The lead's enrolments, newest first, each with `next_number` and `next_what` (the step it
    is at, when active)."""
    enrolments = list(Enrolment.objects.filter(lead=lead).select_related("sequence").order_by("-enrolled_at", "-id"))
    for enrolment in enrolments:
        enrolment.next_number = enrolment.next_what = None
        if enrolment.status != EnrolmentStatus.ACTIVE:
            continue
        for number, step in enumerate(enrolment.sequence.steps, start=1):
            if step["key"] == enrolment.next_step:
                enrolment.next_number, enrolment.next_what = number, describe(step)
                break
    return enrolments


def sequences_panel(user, lead) -> dict:
    """The lead page's "Sequences" panel: the lead's enrolments to anyone who sees the lead; the
    sequences to add it to and the "Take out" buttons to Marketing and Managers."""
    may_enrol = has_role(user, Role.MARKETING, Role.MANAGER) and lead.contact.erased_at is None
    return {
        "enrolments": lead_enrolments(lead),
        "may_enrol": may_enrol,
        "may_take_out": has_role(user, Role.MARKETING, Role.MANAGER),
        "enrol_sequences": open_sequences() if may_enrol else [],
    }


def skipped_in_words(skipped: list[dict]) -> str:
    """services.enrol's skipped leads counted by reason: "2 already in it, 1 marked do not contact"."""
    counts: dict[str, int] = {}
    for item in skipped:
        counts[item["reason"]] = counts.get(item["reason"], 0) + 1
    return ", ".join(f"{count} {SKIP_REASONS.get(reason, reason)}" for reason, count in counts.items())
