"""A sequence's report: who entered, who is in it, who left and why, what each step did (e-mails
sent, opened, clicked, as the engagement tracking counted them) and what followed.

"What followed" reads the enrolled leads as the scoreboard reads a cohort (reports.selectors):
each lead once, won meaning won or a customer since, revenue the won amounts; counted only
when it happened after the lead entered the sequence.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Min, Q

from leads.kinds import Stage
from leads.models import Lead
from nurture.models import Enrolment, EnrolmentStatus, ExitReason, Sequence, StepRun
from nurture.steps import describe
from tracking.models import Scope, Tally

DEFINITIONS = {
    "enrolled": "Entries into the sequence in the period (a lead taken out and enrolled again enters twice).",
    "leads": "The leads behind those entries, each once: what followed is counted on them.",
    "active": "Of the entries, those still in it.",
    "done": "Of the entries, those through every step.",
    "exited": "Of the entries, those that left before the end, by reason: the goal reached, or no longer "
    "to be contacted.",
    "sent": "The step's e-mails that went to the outbox (not those held back: no consent, no address).",
    "opened": "Of those, opened by a person at least once (a click counts; machine opens do not).",
    "clicked": "Of those, with a link clicked by a person.",
    "sales_ready": "Enrolled leads that became sales-ready after they entered.",
    "won": "Enrolled leads won (customers included) after they entered.",
    "revenue": "The won amounts of those.",
}


def report(sequence: Sequence, *, since: datetime | None = None, until: datetime | None = None) -> dict:
    enrolments = Enrolment.objects.filter(sequence=sequence)
    if since is not None:
        enrolments = enrolments.filter(enrolled_at__gte=since)
    if until is not None:
        enrolments = enrolments.filter(enrolled_at__lt=until)
    counts = enrolments.aggregate(
        enrolled=Count("id"),
        leads=Count("lead_id", distinct=True),
        active=Count("id", filter=Q(status=EnrolmentStatus.ACTIVE)),
        done=Count("id", filter=Q(status=EnrolmentStatus.DONE)),
    )
    exits = dict(
        enrolments.filter(status=EnrolmentStatus.EXITED)
        .values_list("exit_reason")
        .annotate(n=Count("id"))
        .values_list("exit_reason", "n")
    )
    return {
        "sequence": sequence.pk,
        "name": sequence.name,
        **counts,
        "exited": {reason: exits.get(reason, 0) for reason in ExitReason.values},
        "steps": _steps(sequence, enrolments),
        "followed": _followed(enrolments),
        "definitions": DEFINITIONS,
    }


def _steps(sequence: Sequence, enrolments) -> list[dict]:
    rows = []
    runs = StepRun.objects.filter(enrolment__in=enrolments)
    done = dict(runs.values_list("step").annotate(n=Count("id")).values_list("step", "n"))
    for number, step in enumerate(sequence.steps, start=1):
        row = {"step": number, "key": step["key"], "kind": step["kind"], "what": describe(step)}
        row["done"] = done.get(step["key"], 0)
        if step["kind"] == "email":
            keys = runs.filter(step=step["key"]).exclude(email_key="").values("email_key")
            tallies = Tally.objects.filter(scope=Scope.EMAIL, ref__in=keys)
            row["sent"] = runs.filter(step=step["key"]).exclude(email_key="").count()
            row |= tallies.aggregate(
                opened=Count("id", filter=Q(human_opens__gt=0) | Q(clicks__gt=0)),
                clicked=Count("id", filter=Q(clicks__gt=0)),
            )
        rows.append(row)
    return rows


def _followed(enrolments) -> dict:
    """Each enrolled lead once, from its first entry."""
    first = enrolments.values("lead_id").annotate(entered=Min("enrolled_at"))
    entered = {row["lead_id"]: row["entered"] for row in first}
    leads = Lead.objects.filter(pk__in=enrolments.values("lead_id")).values(
        "pk", "sales_ready_at", "closed_at", "stage", "won_amount"
    )
    sales_ready = won = 0
    revenue = Decimal(0)
    for lead in leads.iterator(chunk_size=2000):
        at = entered[lead["pk"]]
        if lead["sales_ready_at"] and lead["sales_ready_at"] > at:
            sales_ready += 1
        if lead["stage"] in (Stage.WON, Stage.CUSTOMER) and lead["closed_at"] and lead["closed_at"] > at:
            won += 1
            revenue += lead["won_amount"] or 0
    return {"sales_ready": sales_ready, "won": won, "revenue": f"{revenue:.2f}"}
