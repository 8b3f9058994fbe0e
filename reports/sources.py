"""Return on each lead source: leads, sales, revenue and what the source cost, per grouping.

Cost is what was spent in the period: a placement's cost is spread evenly over the days it
runs, and the period carries its days' share (a bought list's price falls on the day it was
bought). A source that cost money and brought nothing still shows, with its loss. Which source
a lead counts for, and which costs a UTM source carries, is docs/attribution.md."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count

from campaigns.models import Campaign, Channel, Offer, Placement
from reports import cohorts, selectors
from reports.periods import Period
from reports.router import reading_reports
from reports.selectors import money, ratio
from tracking.models import Visit

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Grouping:
    key: str  # the lead column the rows group by
    label: str
    heading: str


GROUPINGS = {
    "utm_source": Grouping("utm_source", "UTM source", "Source (utm_source)"),
    "campaign": Grouping("campaign_id", "Campaign", "Campaign"),
    "offer": Grouping("offer_id", "Offer", "Offer"),
    "placement": Grouping("placement_id", "Placement", "Placement"),
    "list": Grouping("bought_list_id", "Bought list", "List"),
}
COLUMNS = [
    "source",
    "leads",
    "won",
    "close_ratio",
    "revenue",
    "cost",
    "cost_per_lead",
    "cost_per_sale",
    "roi",
    "quality",
    "visits",
]
LABELS = {
    "source": "Source",
    "leads": "Leads",
    "won": "Won",
    "close_ratio": "Close ratio",
    "revenue": "Revenue",
    "cost": "Cost",
    "cost_per_lead": "Cost per lead",
    "cost_per_sale": "Cost per sale",
    "roi": "ROI",
    "quality": "Quality (1–5)",
    "visits": "Site visits",
}
DEFINITIONS = {
    "visits": "Visits to the company's site in the period (the website script), by their utm_source; "
    "only when grouped by UTM source.",
    "leads": "Leads that first inquired in the period and came from the source.",
    "won": "Of those, won.",
    "close_ratio": "Won ÷ leads.",
    "revenue": "The won amounts.",
    "cost": (
        "What the source cost in the period: each placement's cost spread over the days it runs; "
        "a bought list's price on the day it was bought. A UTM source carries only the web, e-mail "
        "and social placements whose outlet it is: print, radio, mail and the like have no UTM source "
        "and count by campaign, offer and placement."
    ),
    "cost_per_lead": "Cost ÷ leads.",
    "cost_per_sale": "Cost ÷ won.",
    "roi": "(Revenue − cost) ÷ cost; none where nothing was spent.",
    "quality": "Sales' average rating of the source's leads (1: a waste of time, 5: a great lead).",
}


def grouping(name: str) -> Grouping:
    try:
        return GROUPINGS[name or "utm_source"]
    except KeyError:
        raise ValidationError({"group": [f"Group by one of: {', '.join(GROUPINGS)}."]}) from None


def placement_share(placement: Placement, period: Period) -> Decimal:
    """The part of a placement's cost that falls in the period, by days run."""
    first, last = max(placement.starts_on, period.start), min(placement.ends_on, period.end)
    if last < first:
        return Decimal(0)
    run_days = (placement.ends_on - placement.starts_on).days + 1
    return (placement.cost * Decimal((last - first).days + 1) / Decimal(run_days)).quantize(CENT, ROUND_HALF_UP)


def _list_costs(period: Period) -> dict:
    """A bought list's price falls on the day it was bought."""
    from imports.models import BoughtList

    bought = BoughtList.objects.filter(created_at__gte=period.since, created_at__lt=period.until, price__isnull=False)
    return {pk: price for pk, price in bought.values_list("pk", "price")}


def _costs(group: Grouping, period: Period) -> dict:
    """The period's spend per group value."""
    if group.key == "bought_list_id":
        return _list_costs(period)
    placements = Placement.objects.filter(starts_on__lte=period.end, ends_on__gte=period.start).select_related("offer")
    costs: dict = {}
    for placement in placements:
        if group.key == "utm_source" and not Channel.clicked_through(placement.channel):
            continue  # a newspaper or a mailing is no UTM source (docs/attribution.md)
        share = placement_share(placement, period)
        value = {
            "placement_id": placement.pk,
            "offer_id": placement.offer_id,
            "campaign_id": placement.offer.campaign_id,
            "utm_source": placement.outlet.strip().lower(),
        }[group.key]
        costs[value] = costs.get(value, Decimal(0)) + share
    return costs


def _labels(group: Grouping, values) -> dict:
    values = [v for v in values if v not in (None, "")]
    if group.key == "campaign_id":
        return dict(Campaign.objects.filter(pk__in=values).values_list("pk", "name"))
    if group.key == "offer_id":
        return {o.pk: f"{o.code}: {o.headline}" for o in Offer.objects.filter(pk__in=values)}
    if group.key == "placement_id":
        placements = Placement.objects.filter(pk__in=values).select_related("offer")
        return {p.pk: f"{p.channel}: {p.outlet} ({p.offer.code})" for p in placements}
    if group.key == "bought_list_id":
        from imports.models import BoughtList

        return {b.pk: str(b) for b in BoughtList.objects.filter(pk__in=values)}
    return {}


def _normal(group: Grouping, value):
    return (value or "").strip().lower() if group.key == "utm_source" else value


def sources(
    period: Period, group_name: str = "utm_source", *, ordering: str = "-leads", stale: cohorts.Stale | None = None
) -> list[dict]:
    group = grouping(group_name)
    order_key, descending = ordering.lstrip("-"), ordering.startswith("-")
    if order_key not in COLUMNS:
        raise ValidationError({"ordering": [f"Sort by one of: {', '.join(COLUMNS)} (- for descending)."]})
    with reading_reports():
        counted = cohorts.sources(period, stale or cohorts.stale(), group_name or "utm_source")
        rows = {_value(group, value): numbers for value, numbers in counted.items()}
        costs = _costs(group, period)
        visits = _visits(period) if group.key == "utm_source" else {}
        for value in [*costs, *visits]:
            rows.setdefault(value, {"leads": 0, "won": 0, "revenue": Decimal(0), "rating_total": 0, "ratings": 0})
        labels = _labels(group, rows)
    table = [
        _row(group, value, numbers, costs.get(value, Decimal(0)), labels)
        | {"visits": visits.get(value, 0) if group.key == "utm_source" else None}
        for value, numbers in rows.items()
    ]
    return sort_rows(table, order_key, descending)


def _value(group: Grouping, stored: str):
    """A rollup's value as the costs and labels key it: the UTM source as text, an id as a number."""
    if group.key == "utm_source":
        return stored
    return int(stored) if stored else None


def _visits(period: Period) -> dict[str, int]:
    """Tracked site visits that began in the period, by their utm_source (normalized as leads'
    are: "Radio" and "radio" are one source; no source is the "(none)" row)."""
    counted = (
        Visit.objects.filter(started_at__gte=period.since, started_at__lt=period.until)
        .values("utm_source")
        .annotate(n=Count("id"))
        .order_by()
    )
    found: dict[str, int] = {}
    for row in counted:
        value = (row["utm_source"] or "").strip().lower()
        found[value] = found.get(value, 0) + row["n"]
    return found


MONEY_COLUMNS = {"revenue", "cost", "cost_per_lead", "cost_per_sale"}


def sort_rows(table: list[dict], column: str, descending: bool) -> list[dict]:
    """Sorted by one column; rows without a figure (no cost, no rating) last either way."""
    known = [row for row in table if row[column] is not None]
    unknown = [row for row in table if row[column] is None]

    def value(row):
        raw = row[column]
        return Decimal(raw) if column in MONEY_COLUMNS else raw.lower() if isinstance(raw, str) else raw

    return sorted(known, key=value, reverse=descending) + unknown


def _row(group: Grouping, value, numbers: dict, cost: Decimal, labels: dict) -> dict:
    leads, won, revenue = numbers["leads"], numbers["won"], Decimal(numbers["revenue"])
    rating = numbers["rating_total"] / numbers["ratings"] if numbers["ratings"] else None
    if value in (None, ""):
        name = "(none)"
    else:
        name = labels.get(value, value) if group.key != "utm_source" else value
    return {
        "key": value if value not in (None, "") else None,
        "source": str(name),
        "leads": leads,
        "won": won,
        "close_ratio": ratio(won, leads),
        "revenue": money(revenue),
        "cost": money(cost),
        "cost_per_lead": money((cost / leads).quantize(CENT)) if leads and cost else None,
        "cost_per_sale": money((cost / won).quantize(CENT)) if won and cost else None,
        "roi": round(float((revenue - cost) / cost), 4) if cost else None,
        "quality": round(float(rating), 2) if rating is not None else None,
    }


def measured_rates(period: Period) -> dict:
    """The period's close rate and average deal, unrounded: the calculator's defaults."""
    with reading_reports():
        counts = selectors.cohort_counts(period)
    return rates(counts["leads"], counts["won"], counts["revenue"] if counts["priced"] else None)


def rates(leads: int, won: int, revenue) -> dict:
    """Close rate (won ÷ leads) and average deal (revenue ÷ won), exact, from a cohort's counts:
    the summary's own counts serve the page, so it does not aggregate the cohort again."""
    rate = Decimal(won) / Decimal(leads) if leads else None
    average = Decimal(revenue) / won if won and revenue is not None else None
    return {"close_rate": rate, "avg_deal": average}
