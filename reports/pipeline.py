"""The pipeline calculator (seed 004): "if you close 10% of your leads and you need to sell
$1 million, then you know that your pipeline has to be 10x that figure".

target ÷ close rate = the pipeline needed; that ÷ the average deal = the leads needed; both
set against the open pipeline now (open leads and their estimated values, and how many of them
have none)."""

import math
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum

from config.money import NotAnAmount, parse_money
from reports import cohorts
from reports.router import reading_reports
from reports.selectors import money

LIMIT = Decimal("1e12")
MIN_CLOSE_RATE = Decimal("0.0001")  # below one sale in ten thousand leads the figures mean nothing


def _number(raw, field: str, errors: dict, *, required: bool = False, money: bool = False) -> Decimal | None:
    """A figure as typed; an amount of money (`money`) as every form reads one ("$1,000,000":
    config.money), a rate as a plain number."""
    text = str(raw if raw is not None else "").strip()
    if not text:
        if required:
            errors[field] = ["Give a number."]
        return None
    try:
        value = parse_money(text) if money else Decimal(text.replace(",", ""))
    except (NotAnAmount, InvalidOperation):
        errors[field] = ["Give an amount, e.g. 1,000,000 or $1,000,000." if money else "Give a number, e.g. 0.1."]
        return None
    if not value.is_finite() or abs(value) >= LIMIT:
        errors[field] = ["Give a number below a trillion."]
        return None
    return value


def parse_inputs(params) -> dict:
    """target (required, > 0), close_rate (0 < r ≤ 1) and avg_deal (> 0), each optional but target."""
    errors: dict[str, list[str]] = {}
    target = _number(params.get("target"), "target", errors, required=True, money=True)
    close_rate = _number(params.get("close_rate"), "close_rate", errors)
    avg_deal = _number(params.get("avg_deal"), "avg_deal", errors, money=True)
    if target is not None and target <= 0:
        errors["target"] = ["The target revenue must be more than 0."]
    if close_rate is not None and not MIN_CLOSE_RATE <= close_rate <= 1:
        errors["close_rate"] = ["A close rate is a share from 0.0001 (0.01%) to 1 (0.1 for 10%)."]
    if avg_deal is not None and avg_deal <= 0:
        errors["avg_deal"] = ["The average deal must be more than 0."]
    if errors:
        raise ValidationError(errors)
    return {"target": target, "close_rate": close_rate, "avg_deal": avg_deal}


def open_pipeline() -> dict:
    """The open leads now, what their estimates add up to, and how many have no estimate: the
    sum says nothing of those, so "worth $0.00" must not stand for leads nobody has valued.
    Every cohort day's rollup (reports.cohorts), and the open leads with no day counted live."""
    with reading_reports():
        days = cohorts.every_day(cohorts.stale(), ("open_leads", "open_value", "open_without_estimate"))
        dayless = cohorts.open_without_day().aggregate(
            leads=Count("id"),
            value=Sum("estimated_value"),
            without_estimate=Count("id", filter=Q(estimated_value__isnull=True)),
        )
    return {
        "open_leads": days["open_leads"] + dayless["leads"],
        "open_value": Decimal(days["open_value"]) + (dayless["value"] or 0),
        "open_without_estimate": days["open_without_estimate"] + dayless["without_estimate"],
    }


def calculate(*, target: Decimal, close_rate, avg_deal, measured: dict) -> dict:
    """The figures, with the measured close rate and average deal where none was given."""
    rate = close_rate if close_rate is not None else _decimal(measured.get("close_rate"))
    deal = avg_deal if avg_deal is not None else _decimal(measured.get("avg_deal"))
    if rate is not None and rate < MIN_CLOSE_RATE:
        rate = None  # a measured rate too small to plan with: the calculator asks for one
    now = open_pipeline()
    exact = target / rate if rate else None  # rounded only for showing: leads_needed is from the exact figure
    pipeline_needed = exact.quantize(Decimal("0.01")) if exact is not None else None
    leads_needed = math.ceil(exact / deal) if exact is not None and deal else None
    return {
        "target": money(target),
        "close_rate": float(rate) if rate is not None else None,
        "close_rate_measured": close_rate is None and rate is not None,
        "avg_deal": money(deal),
        "avg_deal_measured": avg_deal is None and deal is not None,
        "pipeline_needed": money(pipeline_needed),
        "leads_needed": leads_needed,
        "open_leads": now["open_leads"],
        "open_pipeline": money(now["open_value"]),
        "open_without_estimate": now["open_without_estimate"],
        "gap_leads": max(leads_needed - now["open_leads"], 0) if leads_needed is not None else None,
        "gap_money": money(max(pipeline_needed - now["open_value"], 0)) if pipeline_needed is not None else None,
    }


def _decimal(value) -> Decimal | None:
    return Decimal(str(value)) if value not in (None, "") else None
