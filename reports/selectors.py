"""The shared scoreboard's numbers: one definition of each, for the page, the API and the CSV.

Every number is over a cohort: the leads created in the period (names bought on a list count
only once they inquired), and where those leads are now. The counts come from the daily
rollups (reports.cohorts: stored days, and stale days counted live), through the reports alias
(reports.router); `DEFINITIONS` is what the page writes beside each number. `stale` lets a page
that shows many reports read which days are stale once."""

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet

from leads.kinds import Source, Stage
from leads.models import Lead
from reports import cohorts, rollups
from reports.periods import Period
from reports.router import reading_reports

WON = Q(stage__in=[Stage.WON, Stage.CUSTOMER])
OPEN_STAGES = [Stage.INQUIRY, Stage.SALES_READY, Stage.UNCLOSED]

DEFINITIONS = {
    "leads": "Leads that first inquired in the period (a bought name counts from the day it responded).",
    "inquiries": "Of those, still inquiries now: not yet sales-ready.",
    "sales_ready": "Of those, sales-ready now and not yet closed.",
    "won": "Of those, won (customers included).",
    "unclosed": "Of those, closed with no sale yet: they get nurture and the unclosed-prospect letter.",
    "dead": "Of those, disqualified.",
    "close_ratio": "Won ÷ leads.",
    "avg_transaction": "The mean amount of the won sales.",
    "upsell_rate": "Won sales with the upsell accepted ÷ won sales.",
    "upsell_revenue": "The upsells' part of the won sales' amounts, where the salesperson recorded it at the close.",
    "avg_transaction_with_upsell": "The mean amount of the won sales whose upsell was accepted.",
    "avg_transaction_without_upsell": "The mean amount of the won sales without the upsell.",
    "referral_rate": "Leads that came from a referral ÷ leads.",
    "median_sales_cycle_days": "The middle won sale's days from the lead's arrival to the close.",
    "median_hot_response_minutes": (
        "The middle answered hot lead's minutes from first turning hot to our first call or meeting."
    ),
    "hot_unanswered": "Of the leads that turned hot, how many no one has called or met yet.",
    "letters_sent": "Unclosed-prospect letters sent in the period.",
    "letter_response_rate": "Letters whose code came back in a call or form ÷ letters sent.",
    "letter_conversion_rate": "Letters whose lead was won after the letter ÷ letters sent.",
}


def cohort(period: Period, *, owner=None) -> QuerySet:
    """The leads that first inquired in the period. A bought name joins the cohort of the day it
    responded, not of the day it was imported, so a past period's figures never move."""
    leads = Lead.objects.filter(inquired_at__gte=period.since, inquired_at__lt=period.until)
    return leads.filter(owner=owner) if owner is not None else leads


def ratio(part, whole) -> float | None:
    return round(part / whole, 4) if whole else None


def money(value) -> str | None:
    return f"{value:.2f}" if value is not None else None


def median_of(spread: Counter) -> float | None:
    """The median of values counted in a spread ({value: how many}): the middle value, or the
    mean of the two middle ones (as PostgreSQL's percentile_cont(0.5) interpolates)."""
    total = sum(spread.values())
    if not total:
        return None
    wanted, found, seen = [(total - 1) // 2, total // 2], [], 0
    for value in sorted(spread):
        seen += spread[value]
        while wanted and wanted[0] < seen:
            found.append(value)
            wanted.pop(0)
    return sum(found) / len(found)


def _mean(total, priced: int) -> Decimal | None:
    return Decimal(total) / priced if priced else None


def cohort_counts(period: Period, *, owner=None, stale: cohorts.Stale | None = None) -> dict:
    """The cohort's counts over the period (reports.rollups.DAY_COUNTS), for one owner or all."""
    with reading_reports():
        return _total(cohorts.days(period, stale or cohorts.stale(), owner=owner).values())


def summary(period: Period, *, owner=None, stale: cohorts.Stale | None = None) -> dict:
    with reading_reports():
        stale = stale or cohorts.stale()
        counts = cohort_counts(period, owner=owner, stale=stale)
        spread = cohorts.spreads(["cycle", "response"], stale, period=period, owner=owner)
        cycle, response = median_of(spread["cycle"]), median_of(spread["response"])
        letters = letter_rates(period, owner=owner)
    return {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        **{key: counts[key] for key in ("leads", "inquiries", "sales_ready", "won", "unclosed", "dead")},
        "revenue": money(counts["revenue"]),
        "close_ratio": ratio(counts["won"], counts["leads"]),
        "avg_transaction": money(_mean(counts["revenue"], counts["priced"])),
        "upsell_rate": ratio(counts["upsells"], counts["won"]),
        "upsell_revenue": money(counts["upsell_revenue"]),
        "avg_transaction_with_upsell": money(_mean(counts["with_upsell"], counts["with_upsell_priced"])),
        "avg_transaction_without_upsell": money(_mean(counts["without_upsell"], counts["without_upsell_priced"])),
        "referral_rate": ratio(counts["referrals"], counts["leads"]),
        "median_sales_cycle_days": round(cycle, 1) if cycle is not None else None,
        "median_hot_response_minutes": round(response / 60, 1) if response is not None else None,
        "hot_unanswered": counts["hot_unanswered"],
        **letters,
    }


def _total(days) -> dict:
    total = dict.fromkeys(rollups.DAY_FIELDS, 0)
    for numbers in days:
        for name in rollups.DAY_FIELDS:
            total[name] += numbers[name]
    return total


def letter_rates(period: Period, *, owner=None) -> dict:
    from followups.models import Letter, LetterStatus

    sent = Letter.objects.filter(status=LetterStatus.SENT, sent_at__gte=period.since, sent_at__lt=period.until)
    if owner is not None:
        sent = sent.filter(lead__owner=owner)
    counts = sent.aggregate(
        sent=Count("id"),
        responses=Count("id", filter=Q(responded_at__isnull=False)),
        won=Count("id", filter=Q(lead__stage__in=[Stage.WON, Stage.CUSTOMER], lead__closed_at__gte=F("sent_at"))),
    )
    return {
        "letters_sent": counts["sent"],
        "letter_response_rate": ratio(counts["responses"], counts["sent"]),
        "letter_conversion_rate": ratio(counts["won"], counts["sent"]),
    }


FUNNEL = [
    ("inquiry", "Inquiry", "Every lead of the period: it responded."),
    ("sales_ready", "Sales-ready", "Met the rules of engagement at some point."),
    ("won", "Won", "A sale closed (customers included)."),
    ("customer", "Customer", "Handed back to marketing after the sale."),
]
# Each step's count among the cohort's (reports.rollups.DAY_COUNTS defines them).
FUNNEL_FIELDS = {"inquiry": "leads", "sales_ready": "reached_sales_ready", "won": "won", "customer": "customers"}


def funnel(period: Period, *, owner=None, stale: cohorts.Stale | None = None) -> list[dict]:
    """Each stage with how many of the cohort reached it, the share of the cohort and of the stage before."""
    total = cohort_counts(period, owner=owner, stale=stale)
    counts = {key: total[field] for key, field in FUNNEL_FIELDS.items()}
    rows, previous, total = [], None, counts["inquiry"]
    for key, label, definition in FUNNEL:
        count = counts[key]
        rows.append(
            {
                "stage": key,
                "label": label,
                "definition": definition,
                "count": count,
                "share": ratio(count, total),
                "of_previous": ratio(count, previous) if previous is not None else None,
            }
        )
        previous = count
    return rows


@dataclass(frozen=True)
class Week:
    start: str
    leads: int
    won: int


def weekly(period: Period, *, owner=None, stale: cohorts.Stale | None = None) -> list[Week]:
    """Leads arrived (first inquired) and, of those, won, per week of arrival."""
    with reading_reports():
        per_day = cohorts.days(period, stale or cohorts.stale(), owner=owner)
    found: dict = {}
    for day, numbers in per_day.items():
        week = found.setdefault(day - timedelta(days=day.weekday()), {"leads": 0, "won": 0})
        week["leads"] += numbers["leads"]
        week["won"] += numbers["won"]
    monday = period.start - timedelta(days=period.start.weekday())
    weeks = []
    while monday <= period.end:  # a quiet week is a zero, not a gap in the trend
        row = found.get(monday, {"leads": 0, "won": 0})
        weeks.append(Week(monday.isoformat(), row["leads"], row["won"]))
        monday += timedelta(days=7)
    return weeks


def score_distribution(*, owner=None, stale: cohorts.Stale | None = None) -> list[dict]:
    """Open leads now, in ten score bands (0–9 … 90–100)."""
    with reading_reports():
        bands = cohorts.spreads(["band"], stale or cohorts.stale(), owner=owner)["band"]
        for score in cohorts.open_without_day(owner).values_list("score", flat=True):
            bands[min(score // 10, 9)] += 1
    return [
        {"band": f"{band * 10}–{band * 10 + 9 if band < 9 else 100}", "count": bands.get(band, 0)} for band in range(10)
    ]


def arrivals_by_source(period: Period) -> list[dict]:
    """The period's leads (its cohort) per way in (web form, phone, referral, list…), most first,
    with how many of them were won: marketing's "leads this week by source". One grouped query."""
    labels = dict(Source.choices)
    with reading_reports():
        counted = cohorts.sources(period, cohorts.stale(), "source")
    rows = [{"source": value, "leads": row["leads"], "won": row["won"]} for value, row in counted.items()]
    rows.sort(key=lambda row: (-row["leads"], labels.get(row["source"], row["source"])))
    return [{**row, "label": labels.get(row["source"], row["source"])} for row in rows]
