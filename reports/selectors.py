"""The shared scoreboard's numbers: one definition of each, for the page, the API and the CSV.

Every number is over a cohort: the leads created in the period (names bought on a list count
only once they inquired), and where those leads are now. Aggregation happens in the database,
one query per table, through the reports alias (reports.router); `DEFINITIONS` is what the
page writes beside each number."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import connections
from django.db.models import Aggregate, Avg, Count, F, FloatField, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from leads.kinds import Source, Stage
from leads.models import Lead
from reports.periods import Period, company_zone
from reports.router import reading_reports, reports_alias

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


def median(queryset: QuerySet, field: str) -> float | None:
    """The median of `field` over the rows: percentile_cont in PostgreSQL, the middle rows elsewhere."""
    rows = queryset.filter(**{f"{field}__isnull": False})
    if connections[reports_alias()].vendor == "postgresql":
        return rows.aggregate(m=Median(field))["m"]
    count = rows.count()
    if not count:
        return None
    middle = list(rows.order_by(field).values_list(field, flat=True)[(count - 1) // 2 : count // 2 + 1])
    return sum(middle) / len(middle)


class Median(Aggregate):
    """percentile_cont(0.5) WITHIN GROUP (ORDER BY field): PostgreSQL's exact median."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def summary(period: Period, *, owner=None) -> dict:
    with reading_reports():
        leads = cohort(period, owner=owner)
        counts = leads.aggregate(
            leads=Count("id"),
            inquiries=Count("id", filter=Q(stage=Stage.INQUIRY)),
            sales_ready=Count("id", filter=Q(stage=Stage.SALES_READY)),
            won=Count("id", filter=WON),
            unclosed=Count("id", filter=Q(stage=Stage.UNCLOSED)),
            dead=Count("id", filter=Q(stage=Stage.DEAD)),
            upsells=Count("id", filter=WON & Q(upsell_accepted=True)),
            upsell_revenue=Sum("upsell_amount", filter=WON),
            with_upsell=Avg("won_amount", filter=WON & Q(upsell_accepted=True)),
            without_upsell=Avg("won_amount", filter=WON & Q(upsell_accepted=False)),
            referrals=Count("id", filter=Q(source="referral")),
            revenue=Sum("won_amount", filter=WON),
            avg_transaction=Avg("won_amount", filter=WON),
            hot_unanswered=Count("id", filter=Q(first_hot_at__isnull=False, hot_response_seconds__isnull=True)),
        )
        cycle = median(leads.filter(WON), "sales_cycle_days")
        response = median(leads, "hot_response_seconds")
        letters = letter_rates(period, owner=owner)
    return {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        **{key: counts[key] for key in ("leads", "inquiries", "sales_ready", "won", "unclosed", "dead")},
        "revenue": money(counts["revenue"] or Decimal(0)),
        "close_ratio": ratio(counts["won"], counts["leads"]),
        "avg_transaction": money(counts["avg_transaction"]),
        "upsell_rate": ratio(counts["upsells"], counts["won"]),
        "upsell_revenue": money(counts["upsell_revenue"] or Decimal(0)),
        "avg_transaction_with_upsell": money(counts["with_upsell"]),
        "avg_transaction_without_upsell": money(counts["without_upsell"]),
        "referral_rate": ratio(counts["referrals"], counts["leads"]),
        "median_sales_cycle_days": round(cycle, 1) if cycle is not None else None,
        "median_hot_response_minutes": round(response / 60, 1) if response is not None else None,
        "hot_unanswered": counts["hot_unanswered"],
        **letters,
    }


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
    ("inquiry", "Inquiry", "Every lead of the period: it responded.", Q()),
    (
        "sales_ready",
        "Sales-ready",
        "Met the rules of engagement at some point.",
        Q(sales_ready_at__isnull=False) | WON,
    ),
    ("won", "Won", "A sale closed (customers included).", WON),
    ("customer", "Customer", "Handed back to marketing after the sale.", Q(stage=Stage.CUSTOMER)),
]


def funnel(period: Period, *, owner=None) -> list[dict]:
    """Each stage with how many of the cohort reached it, the share of the cohort and of the stage before."""
    with reading_reports():
        counts = cohort(period, owner=owner).aggregate(
            **{key: Count("id", filter=condition) for key, _, _, condition in FUNNEL}
        )
    rows, previous, total = [], None, counts["inquiry"]
    for key, label, definition, _ in FUNNEL:
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


def weekly(period: Period, *, owner=None) -> list[Week]:
    """Leads arrived (first inquired) and, of those, won, per week of arrival."""
    with reading_reports():
        rows = (
            cohort(period, owner=owner)
            .annotate(week=TruncWeek("inquired_at", tzinfo=company_zone()))
            .values("week")
            .annotate(leads=Count("id"), won=Count("id", filter=WON))
            .order_by("week")
        )
        found = {timezone.localtime(row["week"], company_zone()).date(): row for row in rows}
    monday = period.start - timedelta(days=period.start.weekday())
    weeks = []
    while monday <= period.end:  # a quiet week is a zero, not a gap in the trend
        row = found.get(monday, {"leads": 0, "won": 0})
        weeks.append(Week(monday.isoformat(), row["leads"], row["won"]))
        monday += timedelta(days=7)
    return weeks


def score_distribution(*, owner=None) -> list[dict]:
    """Open leads now, in ten score bands (0–9 … 90–100)."""
    with reading_reports():
        leads = Lead.objects.filter(stage__in=OPEN_STAGES)
        if owner is not None:
            leads = leads.filter(owner=owner)
        counts = leads.aggregate(
            **{
                f"b{band}": Count("id", filter=Q(score__gte=band * 10, score__lt=band * 10 + 10 if band < 9 else 101))
                for band in range(10)
            }
        )
    return [
        {"band": f"{band * 10}–{band * 10 + 9 if band < 9 else 100}", "count": counts[f"b{band}"]} for band in range(10)
    ]


def arrivals_by_source(period: Period) -> list[dict]:
    """The period's leads (its cohort) per way in (web form, phone, referral, list…), most first,
    with how many of them were won: marketing's "leads this week by source". One grouped query."""
    labels = dict(Source.choices)
    with reading_reports():
        rows = list(cohort(period).values("source").annotate(leads=Count("id"), won=Count("id", filter=WON)).order_by())
    rows.sort(key=lambda row: (-row["leads"], labels.get(row["source"], row["source"])))
    return [{**row, "label": labels.get(row["source"], row["source"])} for row in rows]
