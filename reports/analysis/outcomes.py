"""The leads an analysis reads: those whose outcome (won, unclosed, dead) fell in the period.

Won means won or a customer since, as on the scoreboard; lost means unclosed or dead. The period
is the close's (`closed_at`), in the company's days (reports.periods)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from leads.kinds import OUTCOME_STAGES, Stage
from leads.models import Lead
from reports.periods import Period

WON_STAGES = (Stage.WON, Stage.CUSTOMER)
LOST_STAGES = (Stage.UNCLOSED, Stage.DEAD)
WON = Q(stage__in=WON_STAGES)
MIN_OUTCOMES = 50  # below this the analysis says it cannot tell (Odoo refuses to learn from fewer)


def outcomes(period: Period) -> QuerySet[Lead]:
    return Lead.objects.filter(stage__in=OUTCOME_STAGES, closed_at__gte=period.since, closed_at__lt=period.until)


def too_few(count: int) -> str:
    """The warning for too few outcomes, or ""."""
    if count >= MIN_OUTCOMES:
        return ""
    return (
        f"Only {count} lead{'s' if count != 1 else ''} reached an outcome in the period: at least "
        f"{MIN_OUTCOMES} are needed before these figures say anything. Widen the period."
    )


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def rounded(value: float | None, places: int = 4) -> float | None:
    return round(value, places) if value is not None else None
