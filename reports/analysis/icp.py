"""The ideal customer profile: who are our best customers, and what do they have in common?

Customers are the contacts (or, ranked by company, the companies) with a won sale (won, or a
customer since) closed in the period; a customer's revenue is the sum of those sales' amounts.
The best customers are the top share of them by revenue: the database counts the customers and
finds the revenue of the N-th (ORDER BY revenue DESC … OFFSET N-1), and everyone with at least
that much is in, ties at the threshold included. Those figures and the segments' breadth come
from one statement (CUSTOMERS_SQL), which groups the customers once.

Each trait (industry code, size band, title, persona, region, postal area, source, products
bought, upsell accepted; reports.traits) counts the distinct customers holding each value, among
all of them and among the best: on PostgreSQL one pass over the period's won sales with a
grouping set per trait, elsewhere a GROUP BY a trait. The period's leads holding each value (the
cohort that inquired in it) come from the cohort rollups (reports.cohorts.traits), which count
them per day once and keep them current. Python only turns those counts into shares, lifts and
intervals (reports.stats); no query reads a customer at a time.

From the same table come the segments (small / medium / large, one offering or several), the
personas, the profile rules "Use as profile-fit points" writes into the scoring draft
(`profile_rules`), and the campaign segment "Save as a segment" makes (`save_segment`).
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Case, CharField, Count, DecimalField, F, Q, QuerySet, Sum, Value, When, Window
from django.db.models.functions import Coalesce, Round

from config.errors import Conflict
from crm.models import SizeBand
from leads.kinds import Source
from reports import cohorts, stats
from reports.analysis.answers import compiled
from reports.analysis.outcomes import WON, outcomes, rounded
from reports.periods import Period
from reports.router import reading_reports, reports_alias
from reports.selectors import cohort_counts
from reports.traits import TRAITS, UPSELL, Trait

GROUPINGS = ("contact", "company")
DEFAULT_TOP = 0.2
TOP_RANGE = (0.01, 0.5)
MIN_TOP_CUSTOMERS = 20  # fewer best customers than this and every lift is shaky
MAX_VALUES = 20  # values shown per trait: those held by the most best customers
POINTS_PER_LOG_LIFT = 15  # a lift of 2 ≈ 10 points, of 3 ≈ 16
PROFILE_POINTS = (1, 20)

# The customer a won lead belongs to, by grouping: the path from a lead to its key.
KEYS = {"contact": "contact_id", "company": "contact__company_id"}

REVENUE = Coalesce(Sum("won_amount"), Value(Decimal("0")), output_field=DecimalField(max_digits=16, decimal_places=2))

SIZE_CLASSES = ("small", "medium", "large", "unknown")
_BAND = "contact__company__size_band"
_HEADS = "contact__company__head_count"
SIZE_CLASS = Case(  # the size band where there is one, else the head count
    When(**{f"{_BAND}__in": [SizeBand.MICRO, SizeBand.SMALL]}, then=Value("small")),
    When(**{_BAND: SizeBand.MEDIUM}, then=Value("medium")),
    When(**{f"{_BAND}__in": [SizeBand.LARGE, SizeBand.ENTERPRISE]}, then=Value("large")),
    When(**{f"{_HEADS}__lt": 50}, then=Value("small")),
    When(**{f"{_HEADS}__lt": 250}, then=Value("medium")),
    When(**{f"{_HEADS}__gte": 250}, then=Value("large")),
    default=Value("unknown"),
    output_field=CharField(),
)

DEFINITIONS = {
    "customers": "Contacts (or companies, ranked by company) with a won sale closed in the period; won means "
    "won or a customer since. Ranked by company, sales of contacts with no company are left out.",
    "revenue": "The sum of a customer's won amounts closed in the period.",
    "top_customers": "The best customers: the top share of customers by revenue. The threshold is the revenue of "
    "the last one in; customers tied with it are in too, and a customer with no revenue never is.",
    "top_share": "Best customers with the value ÷ best customers.",
    "all_share": "Customers with the value ÷ all customers (the best included).",
    "lead_share": "Leads that first inquired in the period with the value ÷ those leads (none for the upsell, "
    "which only a sale can take).",
    "lift": "top_share ÷ all_share: 2 means the value is twice as common among the best customers as among all.",
    "ci": "The 95 % interval of the lift: the rate ratio of the best customers against the rest of the customers "
    "(reports.stats.rate_ratio, add-half), carried onto the top ÷ all scale. It lies above 1 exactly when the "
    "best differ from the rest beyond the noise.",
    "over_represented": "The interval lies wholly above 1 (ci_low > 1).",
    "multiple_values": "A customer with several values (products bought, a company's contacts' titles, sales "
    "from several sources) counts under each: shares need not add up to 1.",
    "values": f"At most {MAX_VALUES} values per trait: those the most best customers hold, then the most customers.",
    "title": "Titles are compared without case or surrounding spaces.",
    "postal_area": "The first three characters of the company's postal code.",
    "product": "The offer code of the customer's won sales; 'no offer' for a sale with none.",
    "upsell_accepted": "Yes when any of the customer's won sales in the period took the upsell.",
    "size": "Small: fewer than 50 employees (size band 1–9 or 10–49), medium: 50–249, large: 250 or more; from the "
    "head count where no band is recorded.",
    "breadth": "One offering: every won sale of the customer in the period was for one offer (or for none); "
    "several: two or more (a sale with no offer counts as one offering).",
    "profile_points": f"round({POINTS_PER_LOG_LIFT} × ln(lift)) of the least lifted value of a rule, within "
    f"{PROFILE_POINTS[0]}–{PROFILE_POINTS[1]}.",
}


def parse(params) -> tuple[float, str]:
    """(top, by) from request parameters (or a JSON body); a ValidationError keyed by field."""
    errors = {}
    top, raw = DEFAULT_TOP, params.get("top")
    if raw is not None and str(raw).strip() != "":
        low, high = TOP_RANGE
        try:
            top = float(str(raw).strip()) if not isinstance(raw, bool) else math.nan
        except ValueError:
            top = math.nan
        if not low <= top <= high:  # NaN fails too
            errors["top"] = [
                f"Give the share of best customers as a number from {low} to {high} (1–50 %), e.g. 0.2 for the "
                f"top 20 %; “{raw}” is not."
            ]
    by = params.get("by") or "contact"
    if by not in GROUPINGS:
        errors["by"] = [f"Rank customers by {' or '.join(GROUPINGS)}."]
    if errors:
        raise ValidationError(errors)
    return top, by


def _won(period: Period, key: str) -> QuerySet:
    """The period's won sales that belong to a customer of the grouping."""
    return outcomes(period).filter(WON, **{f"{key}__isnull": False})


def _money(value) -> str:
    return f"{value or Decimal(0):.2f}"


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def lift_interval(top_with: int, top_n: int, rest_with: int, rest_n: int) -> tuple[float | None, float | None]:
    """The 95 % interval of top_share ÷ all_share. All customers are the best and the rest mixed
    (all = f·top + (1-f)·rest, f the best's part), so with r = top ÷ rest the lift is r ÷ (f·r + 1 - f),
    which grows with r and is 1 where r is: the interval of r (stats.rate_ratio) carried over."""
    ratio, low, high = stats.rate_ratio(top_with, top_n, rest_with, rest_n)
    if ratio is None:
        return None, None
    part = top_n / (top_n + rest_n)

    def carried(r: float) -> float:
        return r / (part * r + 1 - part)

    return carried(low), carried(high)


def _row(trait: Trait, value: str, top_with: int, all_with: int, counts: dict, leads_with: int | None) -> dict:
    n_top, n_all, n_leads = counts["top_customers"], counts["customers"], counts["leads"]
    top_share, all_share = _share(top_with, n_top), _share(all_with, n_all)
    lift = round((top_with / n_top) / (all_with / n_all), 4) if n_top and all_with else None
    ci_low, ci_high = lift_interval(top_with, n_top, all_with - top_with, n_all - n_top)
    recorded = value != ""
    return {
        "field": trait.field,
        "label": trait.label,
        "value": value if recorded else trait.blank,
        "display": _display(trait, value),
        "top_customers": top_with,
        "customers": all_with,
        "top_share": top_share,
        "all_share": all_share,
        "lead_share": _share(leads_with, n_leads) if leads_with is not None else None,
        "lift": lift,
        "ci_low": rounded(ci_low),
        "ci_high": rounded(ci_high),
        "over_represented": ci_low is not None and ci_low > 1,
    }


def _display(trait: Trait, value: str) -> str:
    if value == "":
        return trait.blank or "not recorded"
    if trait.field == "size_band" and value in SizeBand.values:
        return SizeBand(value).label
    if trait.field == "source" and value in Source.values:
        return Source(value).label
    return value


def _trait_rows(held: dict[str, list[tuple]], counts: dict, period: Period, stale: cohorts.Stale) -> list[dict]:
    """Every trait's values (`held`: _held_by_customers), at most MAX_VALUES each, with how many of
    the period's leads hold them, from the cohort rollups (reports.cohorts.traits)."""
    shown = {trait: held[trait.field][:MAX_VALUES] for trait in TRAITS}
    wanted = {trait.field: [value for value, _top, _all in rows] for trait, rows in shown.items()}
    among_leads = cohorts.traits(period, stale, wanted)
    return [
        _row(trait, value, top, all_, counts, among_leads[trait.field].get(value, 0))
        for trait, rows in shown.items()
        for value, top, all_ in rows
    ]


def _held_by_customers(won: QuerySet, key: str, threshold: Decimal, groupings: dict[str, object]) -> dict[str, list]:
    """{grouping: [(value, best customers, customers), ...]}: for each grouping (a name and an
    expression over a won sale), the distinct customers whose won sales have each value, among the
    best (revenue above 0 and at least `threshold`) and among all, most best customers first, then
    most customers, then by value. On PostgreSQL one pass over the period's won sales, a grouping
    set each, each sale carrying its customer's revenue (a window over the customer's sales);
    elsewhere a GROUP BY each, the best found by a subquery."""
    connection = connections[reports_alias()]
    if connection.vendor != "postgresql":
        revenue = Round(REVENUE, 2)  # to the cent, as CUSTOMERS_SQL: SQLite sums amounts as floats
        best = won.values(key).annotate(revenue=revenue).filter(revenue__gte=threshold, revenue__gt=0).values(key)
        in_top = Q(**{f"{key}__in": best})
        return {
            name: list(
                won.annotate(value=expression)
                .values("value")
                .annotate(customers=Count(key, distinct=True), top=Count(key, distinct=True, filter=in_top))
                .order_by("-top", "-customers", "value")
                .values_list("value", "top", "customers")
            )
            for name, expression in groupings.items()
        }
    per_set = _per_grouping_set(
        won.annotate(customer_revenue=Window(Sum("won_amount"), partition_by=[F(key)])),
        {"customer": key, "revenue": "customer_revenue"},
        list(groupings.values()),
        "COUNT(DISTINCT w.customer) FILTER (WHERE w.revenue > 0 AND w.revenue >= %s) AS top, "
        "COUNT(DISTINCT w.customer) AS customers",
        [threshold],
        order="top DESC, customers DESC",
    )
    return dict(zip(groupings, per_set, strict=True))


def _per_grouping_set(
    rows: QuerySet, columns: dict[str, str], expressions: list, aggregates: str, aggregate_params: list, *, order: str
) -> list[list[tuple]]:
    """One pass over `rows` with a grouping set per expression (PostgreSQL's GROUP BY GROUPING
    SETS): for each expression, [(value, *aggregates), ...], in `order` then by value. The
    aggregates read `columns` ({alias in w: the rows' field}), are SQL over `w` and take
    `aggregate_params`."""
    names = [f"g{i}" for i in range(len(expressions))]
    values = rows.order_by().annotate(**dict(zip(names, expressions, strict=True)))
    sql, params = compiled(values.values_list(*columns.values(), *names))
    grouped = ", ".join(f"GROUPING({name})" for name in names)
    query = (
        f"SELECT {grouped}, {', '.join(names)}, {aggregates} FROM ({sql}) AS w ({', '.join([*columns, *names])}) "
        f"GROUP BY GROUPING SETS ({', '.join(f'({name})' for name in names)}) "
        f"ORDER BY {', '.join(filter(None, [grouped, order, *names]))}"
    )
    with connections[reports_alias()].cursor() as cursor:
        cursor.execute(query, [*aggregate_params, *params])
        found = cursor.fetchall()
    per_set = [[] for _ in names]
    for row in found:
        i = row[: len(names)].index(0)  # the one expression this row is grouped by
        per_set[i].append((row[len(names) + i], *row[2 * len(names) :]))
    return per_set


def _upsell_rows(held: list[tuple], counts: dict) -> list[dict]:
    """Yes: customers with a won sale that took the upsell; no: the others."""
    took = next(((top, all_) for value, top, all_ in held if value), (0, 0))
    no = (counts["top_customers"] - took[0], counts["customers"] - took[1])
    rows = {"yes": took, "no": no}
    return [_row(UPSELL, value, top, all_, counts, None) for value, (top, all_) in rows.items() if all_]


def _segments(sizes_held: list[tuple], found: dict) -> dict:
    n_top, n_all = found["top_customers"], found["customers"]
    sizes = {size: (top, all_) for size, top, all_ in sizes_held}

    def segment(name: str, top: int, all_: int) -> dict:
        return {
            "segment": name,
            "top_customers": top,
            "customers": all_,
            "top_share": _share(top, n_top),
            "all_share": _share(all_, n_all),
        }

    return {
        "size": [segment(size, *sizes.get(size, (0, 0))) for size in SIZE_CLASSES],
        "breadth": [
            segment("one offering", found["one_top"], found["one_all"]),
            segment("several offerings", found["several_top"], found["several_all"]),
        ],
    }


def _personas(traits: list[dict], limit: int = 5) -> list[dict]:
    """The titles and personas the best customers hold most, from the traits table."""
    held = [
        row
        for row in traits
        if row["field"] in ("title", "persona") and row["value"] is not None and row["top_customers"]
    ]
    held.sort(key=lambda row: (-row["top_customers"], -(row["lift"] or 0)))
    return [
        {
            key: row[key]
            for key in ("field", "value", "top_customers", "top_share", "all_share", "lift", "over_represented")
        }
        for row in held[:limit]
    ]


def icp(period: Period, *, top: float = DEFAULT_TOP, by: str = "contact") -> dict:
    """The best customers of the period, what they share, and how sure we can be of it."""
    key = KEYS[by]
    answer = {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "by": by,
        "top": top,
        "customers": 0,
        "top_customers": 0,
        "threshold": None,
        "revenue": _money(None),
        "top_revenue": _money(None),
        "traits": [],
        "segments": {"size": [], "breadth": []},
        "personas": [],
        "warnings": [],
        "definitions": DEFINITIONS,
    }
    warnings = answer["warnings"]
    with reading_reports():
        found = _customers(outcomes(period).filter(WON), key, top)
        answer["customers"], answer["revenue"] = found["customers"], _money(found["revenue"])
        if found["homeless"]:
            warnings.append(
                f"Won sales of the period with no company behind them ({found['homeless']}) are left out when "
                "ranking companies."
            )
        if not found["customers"]:
            warnings.append(
                "No customer had a won sale closed in the period: there is no one to draw a profile from. "
                "Widen the period."
            )
            return answer
        if not found["paying"]:
            warnings.append(
                f"The period's {found['customers']} customer{'s' if found['customers'] != 1 else ''} brought no "
                "revenue at all (every won amount is 0): there is nothing to rank them by, so no profile is drawn."
            )
            return answer
        stale = cohorts.stale()
        counts = {
            "customers": found["customers"],
            "top_customers": found["top_customers"],
            "leads": cohort_counts(period, stale=stale)["leads"],
        }
        threshold = found["threshold"]
        answer.update(
            top_customers=found["top_customers"],
            threshold=_money(threshold if threshold > 0 else found["least"]),
            top_revenue=_money(found["top_revenue"]),
        )
        groupings = {trait.field: trait.expression for trait in TRAITS}
        held = _held_by_customers(
            _won(period, key), key, threshold, {**groupings, "size": SIZE_CLASS, "upsell": F("upsell_accepted")}
        )
        traits = _trait_rows(held, counts, period, stale)
        traits += _upsell_rows(held["upsell"], counts)
        answer["segments"] = _segments(held["size"], found)
    answer["traits"] = traits
    answer["personas"] = _personas(traits)
    warnings += _warnings(counts, found["wanted"], found["paying"], top)
    return answer


# Every figure about the period's customers as a whole, in one statement over the period's won
# sales (w): the customers (c), each with their revenue and whether they bought several offerings
# (their sales' offers, no offer counted as one, are not all the same); the sales with no customer
# (no company, ranked by company), how many customers, how much they brought, how many paid
# anything and the least that did, and how many the top share asks for, ceil(share × customers)
# in whole numbers (n); the threshold, the revenue of the last of those (t); and how many of all
# and of the best bought one offering or several (b). Plain SQL that PostgreSQL and SQLite run.
CUSTOMERS_SQL = """
WITH w (customer, amount, offer) AS ({won}),
c AS (
    SELECT customer, ROUND(COALESCE(SUM(amount), 0), 2) AS revenue,
        MIN(COALESCE(offer, 0)) <> MAX(COALESCE(offer, 0)) AS several
    FROM w WHERE customer IS NOT NULL GROUP BY customer
),
n AS (
    SELECT (SELECT COUNT(*) FROM w WHERE customer IS NULL) AS homeless, COUNT(*) AS customers,
        COALESCE(SUM(revenue), 0) AS revenue, COUNT(*) FILTER (WHERE revenue > 0) AS paying,
        MIN(revenue) FILTER (WHERE revenue > 0) AS least,
        CASE WHEN COUNT(*) = 0 THEN 1 ELSE (COUNT(*) * %s + %s) / %s END AS wanted
    FROM c
),
t AS (SELECT revenue AS threshold FROM c ORDER BY revenue DESC LIMIT 1 OFFSET (SELECT wanted - 1 FROM n)),
b AS (
    SELECT COUNT(*) FILTER (WHERE best) AS top_customers, COALESCE(SUM(revenue) FILTER (WHERE best), 0) AS top_revenue,
        COUNT(*) FILTER (WHERE NOT several) AS one_all, COUNT(*) FILTER (WHERE best AND NOT several) AS one_top,
        COUNT(*) FILTER (WHERE several) AS several_all, COUNT(*) FILTER (WHERE best AND several) AS several_top
    FROM (SELECT revenue, several, revenue > 0 AND revenue >= (SELECT threshold FROM t) AS best FROM c) AS r
)
SELECT n.homeless, n.customers, n.revenue, n.paying, n.least, n.wanted, (SELECT threshold FROM t),
    b.top_customers, b.top_revenue, b.one_all, b.one_top, b.several_all, b.several_top
FROM n, b
"""
CUSTOMER_FIGURES = (
    "homeless customers revenue paying least wanted threshold "
    "top_customers top_revenue one_all one_top several_all several_top"
).split()
AMOUNTS = ("revenue", "least", "threshold", "top_revenue")


def _customers(won: QuerySet, key: str, top: float) -> dict:
    """The figures of the customers behind `won` sales (CUSTOMERS_SQL), amounts as Decimals."""
    sql, params = compiled(won.order_by().values_list(key, "won_amount", "offer_id"))
    share = share_fraction(top)
    ceil_parts = [share.numerator, share.denominator - 1, share.denominator]  # ceil(a/b) = (a + b - 1) // b
    with connections[reports_alias()].cursor() as cursor:
        cursor.execute(CUSTOMERS_SQL.format(won=sql), [*params, *ceil_parts])
        found = dict(zip(CUSTOMER_FIGURES, cursor.fetchone(), strict=True))
    for name in AMOUNTS:
        found[name] = _decimal(found[name])
    return found


def share_fraction(top: float) -> Fraction:
    """The top share as the fraction it stands for: the nearest with a denominator up to a million
    (0.2 is 1/5; the page's 1.8 % arrives as 0.018000000000000002 and is 9/500; 1/3 stays 1/3),
    so that how many customers it asks for, ceil(share × customers), is whole-number arithmetic in
    the database, never off by a float's last digit, and small enough for a bigint."""
    return Fraction(top).limit_denominator(10**6)


def _decimal(value) -> Decimal | None:
    """An amount as the database sums it (a Decimal; a float or an int on SQLite), to the cent."""
    if value is None:
        return None
    return (value if isinstance(value, Decimal) else Decimal(str(value))).quantize(Decimal("0.01"))


def _warnings(counts: dict, wanted: int, paying: int, top: float) -> list[str]:
    said = []
    n_top, n_all = counts["top_customers"], counts["customers"]
    if paying < wanted:
        said.append(
            f"Only {paying} of the {n_all} customers brought any revenue, fewer than the top {top * 100:g} % asks for "
            f"({wanted}): the best customers are those {paying}."
        )
    elif n_top > wanted:
        said.append(
            f"Customers tie at the threshold: the best customers are {n_top} rather than {wanted}, all those tied in."
        )
    if n_top >= n_all:
        said.append(
            "Every customer is among the best (ties at the threshold), so there is no one to compare them with: "
            "no value can be called over-represented. Widen the period or lower the top share."
        )
    elif n_top < MIN_TOP_CUSTOMERS:
        said.append(
            f"Only {n_top} best customer{'s' if n_top != 1 else ''} (at least {MIN_TOP_CUSTOMERS} are needed for "
            "steady lifts): the lifts are shaky, and a value is called over-represented only where its interval "
            "lies wholly above 1. Widen the period or raise the top share."
        )
    if not counts["leads"]:
        said.append("No lead first inquired in the period: there is no share among leads to compare with.")
    return said


# --- What the profile is used for ------------------------------------------------------------------


def profile_rules(period: Period, *, top: float = DEFAULT_TOP, by: str = "contact") -> list[dict]:
    """Profile rules in the scoring definition's format ("Use as profile-fit points"): for each
    trait that is a profile field, the values over-represented among the best customers, worth
    round(15 × ln(lift)) points of the least lifted of them, within 1–20. None from nothing: no
    value over-represented, no rule."""
    return rules_from(icp(period, top=top, by=by)["traits"])


def rules_from(traits: list[dict]) -> list[dict]:
    rules = []
    for trait in TRAITS:
        if trait.profile_field is None:
            continue
        found = [row for row in traits if row["field"] == trait.field and row["over_represented"] and row["value"]]
        if not found:
            continue
        least = min(row["lift"] for row in found)
        points = round(POINTS_PER_LOG_LIFT * math.log(least))
        rules.append(
            {
                "key": f"icp_{trait.field}",
                "label": f"Like our best customers: {trait.label.lower()}",
                "field": trait.profile_field,
                "values": [row["value"] for row in found],
                "match": "exact",
                "points": max(PROFILE_POINTS[0], min(PROFILE_POINTS[1], points)),
            }
        )
    return rules


def segment_from(traits: list[dict]) -> dict:
    """A campaign segment (campaigns.services.validate_segment) of the over-represented values."""
    segment = {}
    for trait in TRAITS:
        if trait.segment_key is None:
            continue
        values = [
            row["value"] for row in traits if row["field"] == trait.field and row["over_represented"] and row["value"]
        ]
        if values:
            segment[trait.segment_key] = values
    return segment


def save_segment(period: Period, *, top: float = DEFAULT_TOP, by: str = "contact", user=None):
    """ "Save as a segment": a campaign whose segment finds prospects who look like the best
    customers (the over-represented industries, sizes, regions and personas). Refused (409) when
    nothing is over-represented: a segment built on nothing would target everyone."""
    from campaigns.services import save_campaign

    found = icp(period, top=top, by=by)
    segment = segment_from(found["traits"])
    if not segment:
        reasons = " ".join(found["warnings"])
        raise Conflict(
            "No industry, size, region or persona is over-represented among the best customers beyond the noise, "
            f"so there is no look-alike to look for. {reasons}".strip()
        )
    share = f"{top * 100:g}"
    grouping = ", by company" if by == "company" else ""
    name = f"Look-alikes of our best customers (top {share} %, {found['start']}–{found['end']}{grouping})"
    description = (
        f"Prospects who look like the top {share} % of customers by revenue ({found['top_customers']} of "
        f"{found['customers']}, at least {found['threshold']} each) whose sales closed from {found['start']} to "
        f"{found['end']}: "
        + "; ".join(f"{key.replace('_', ' ')} {', '.join(values)}" for key, values in segment.items())
        + "."
    )
    return save_campaign(name=name, description=description, segment=segment, by=user)
