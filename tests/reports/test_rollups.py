"""The scoreboard's fast path never changes a number: on random books, every figure read from the
daily rollups (stored days, stale days counted live) equals the same figure counted straight from
the leads by a plain Python reading of its definition, for every period, owner and grouping:
before any refresh, after one, after changes the refresh has not seen, and after a partial one.

The books are written as rows on purpose (bulk inserts, queryset updates, deletes), not through
the services: the rollups must follow every way a lead changes, and the raw ones are the ways a
service-side hook would miss. What each figure means is tested through the services in
test_reports.py; this file proves the rollups add up to the same thing.
"""

import random
from collections import Counter, defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Campaign, Offer, Placement
from crm.models import Company, Contact
from imports.models import BoughtList
from leads.kinds import Source, Stage
from leads.models import Lead, LeadFeedback
from reports import cohorts, pipeline, rollups, selectors, sources
from reports.models import CohortDay, StaleQuarter
from reports.periods import Period, company_zone
from tests.factories import make_user

pytestmark = pytest.mark.django_db

WON_STAGES = {Stage.WON, Stage.CUSTOMER}
OPEN = {Stage.INQUIRY, Stage.SALES_READY, Stage.UNCLOSED}
UTM = ["Radio", "radio ", "web", "", "Google", "GOOGLE"]


@pytest.fixture
def world():
    owners = [make_user(f"rep{n}", "sales") for n in range(3)]
    now = timezone.now()
    offers, placements = [], []
    for n in range(2):
        campaign = Campaign.objects.create(name=f"Rollup campaign {n}")
        offer = Offer.objects.create(
            campaign=campaign,
            code=f"ROLL{n}",
            headline=f"Offer {n}",
            starts_at=now - timedelta(days=200),
            deadline=now + timedelta(days=30),
        )
        offers.append(offer)
        placements.append(
            Placement.objects.create(
                offer=offer,
                channel="web",
                outlet=UTM[n],
                starts_on=timezone.localdate() - timedelta(days=100),
                ends_on=timezone.localdate(),
                cost=Decimal("300.00"),
            )
        )
    bought = BoughtList.objects.create(name="Rollup list", price=Decimal("99.00"))
    companies = [
        Company.objects.create(
            name="Plumbing Co", industry_code="238220", size_band="10-49", region="TX", postal_code="75001"
        ),
        Company.objects.create(
            name="Build Co", industry_code="236118", size_band="", region="CA", postal_code="v6b 1a1"
        ),
        Company.objects.create(name="Blank Co"),
    ]
    return {"owners": owners, "offers": offers, "placements": placements, "list": bought, "companies": companies}


def random_lead(rng: random.Random, world, contact) -> Lead:
    zone = company_zone()
    stage = rng.choice([*Stage.values, Stage.INQUIRY, Stage.WON])
    day = timezone.localdate() - timedelta(days=rng.randrange(0, 120))
    # Near midnight often: a day's edges are where a zone mistake would show.
    moment = rng.choice([time(0, 0, 1), time(23, 59, 59), time(rng.randrange(24), rng.randrange(60))])
    inquired = timezone.make_aware(datetime.combine(day, moment), zone)
    placement = rng.choice([None, *world["placements"]])
    won = stage in WON_STAGES
    amount = Decimal(rng.randrange(100, 500000)) / 100 if won and rng.random() < 0.85 else None
    upsold = won and rng.random() < 0.4
    return Lead(
        contact=contact,
        stage=stage,
        inquired_at=None if stage == Stage.LIST else inquired,
        owner=rng.choice([None, *world["owners"]]),
        source=rng.choice(Source.values),
        utm_source=rng.choice(UTM),
        placement=placement,
        offer=placement.offer if placement else rng.choice([None, world["offers"][0]]),
        campaign=placement.offer.campaign if placement else None,
        bought_list=world["list"] if rng.random() < 0.2 else None,
        score=rng.randrange(0, 101),
        won_amount=amount,
        upsell_accepted=upsold,
        upsell_amount=(amount * Decimal("0.25")).quantize(Decimal("0.01")) if upsold and amount else None,
        sales_cycle_days=rng.randrange(0, 60) if won and rng.random() < 0.9 else None,
        sales_ready_at=inquired + timedelta(days=1) if stage == Stage.SALES_READY or rng.random() < 0.3 else None,
        first_hot_at=inquired if rng.random() < 0.4 else None,
        hot_response_seconds=rng.randrange(30, 9000) if rng.random() < 0.3 else None,
        estimated_value=Decimal(rng.randrange(0, 900000)) / 100 if rng.random() < 0.6 else None,
    )


TITLES = ["Owner", " owner ", "OWNER", "Facilities manager", ""]
PERSONAS = ["owner", "facilities", ""]


def make_book(rng: random.Random, world, size: int = 120) -> None:
    contacts = Contact.objects.bulk_create(
        [
            Contact(
                first_name=f"R{n}",
                last_name="Roll",
                email=f"roll{rng.random()}@example.com",
                company=rng.choice([None, *world["companies"]]),
                title=rng.choice(TITLES),
                persona=rng.choice(PERSONAS),
            )
            for n in range(size)
        ]
    )
    Lead.objects.bulk_create([random_lead(rng, world, contact) for contact in contacts])
    rate(rng, world, Lead.objects.order_by("?")[: size // 4])


def rate(rng, world, leads) -> None:
    LeadFeedback.objects.bulk_create(
        [LeadFeedback(lead=lead, author=world["owners"][0], rating=rng.randrange(1, 6), reason="r") for lead in leads]
    )


def change_some(rng: random.Random, world) -> None:
    """Every kind of write a lead goes through, as rows: moves, closes, owners, days, deletes."""
    ids = list(Lead.objects.values_list("pk", flat=True))
    pick = lambda k: rng.sample(ids, k)  # noqa: E731
    Lead.objects.filter(pk__in=pick(8)).update(stage=Stage.DEAD)
    Lead.objects.filter(pk__in=pick(5), stage=Stage.INQUIRY).update(owner=world["owners"][1])
    Lead.objects.filter(pk__in=pick(5)).update(inquired_at=timezone.now() - timedelta(days=rng.randrange(0, 40)))
    Lead.objects.filter(pk__in=pick(10)).update(score=rng.randrange(0, 101))
    Lead.objects.filter(pk__in=pick(5)).update(utm_source="Newspaper")
    Lead.objects.filter(pk__in=pick(6)).update(estimated_value=Decimal("777.77"))
    Lead.objects.filter(pk__in=pick(3)).update(estimated_value=None)
    for lead in Lead.objects.filter(pk__in=pick(4), stage=Stage.WON):
        lead.won_amount = Decimal("1234.50")
        lead.save(update_fields=["won_amount"])
    LeadFeedback.objects.filter(pk__in=LeadFeedback.objects.values("pk")[:3]).delete()
    rate(rng, world, Lead.objects.filter(pk__in=pick(5)))
    LeadFeedback.objects.filter(pk__in=LeadFeedback.objects.values("pk")[:2]).update(rating=5)
    doomed = pick(3)
    LeadFeedback.objects.filter(lead__in=doomed).delete()
    Lead.objects.filter(pk__in=doomed).delete()
    change_traits(rng, world)


def change_traits(rng: random.Random, world) -> None:
    """What a lead's traits are read through: its contact, the contact's company, its offer."""
    contacts = list(Contact.objects.values_list("pk", flat=True))
    Contact.objects.filter(pk__in=rng.sample(contacts, 4)).update(title="Chief plumber")
    Contact.objects.filter(pk__in=rng.sample(contacts, 3)).update(persona="buyer")
    Contact.objects.filter(pk__in=rng.sample(contacts, 3)).update(company=rng.choice(world["companies"]))
    company = rng.choice(world["companies"])
    company.industry_code, company.postal_code = f"5413{rng.randrange(10, 99)}", f"{rng.randrange(10000, 99999)}"
    company.save()
    Company.objects.filter(pk=rng.choice(world["companies"]).pk).update(region="NY", size_band="1000+")
    offer = world["offers"][1]
    offer.code = f"ROLL{rng.randrange(100, 999)}"
    offer.save(update_fields=["code"])
    moved = rng.sample(list(Lead.objects.values_list("pk", flat=True)), 2)
    Lead.objects.filter(pk__in=moved).update(contact=rng.choice(contacts))


# --- The definitions, read plainly ---------------------------------------------------------------


def cohort_of(period: Period, owner=None) -> list[Lead]:
    zone = company_zone()
    return [
        lead
        for lead in Lead.objects.filter(inquired_at__isnull=False)
        if period.start <= timezone.localtime(lead.inquired_at, zone).date() <= period.end
        and (owner is None or lead.owner_id == owner.pk)
    ]


def middle(values) -> float | None:
    values = sorted(values)
    if not values:
        return None
    return (values[(len(values) - 1) // 2] + values[len(values) // 2]) / 2


def mean(amounts) -> str | None:
    amounts = [a for a in amounts if a is not None]
    return f"{sum(amounts) / len(amounts):.2f}" if amounts else None


def plain_summary(period: Period, owner=None) -> dict:
    leads = cohort_of(period, owner)
    won = [lead for lead in leads if lead.stage in WON_STAGES]
    by_stage = Counter(lead.stage for lead in leads)
    cycle = middle([lead.sales_cycle_days for lead in won if lead.sales_cycle_days is not None])
    response = middle([lead.hot_response_seconds for lead in leads if lead.hot_response_seconds is not None])
    n = len(leads)
    return {
        "leads": n,
        "inquiries": by_stage[Stage.INQUIRY],
        "sales_ready": by_stage[Stage.SALES_READY],
        "won": len(won),
        "unclosed": by_stage[Stage.UNCLOSED],
        "dead": by_stage[Stage.DEAD],
        "revenue": f"{sum((lead.won_amount or 0 for lead in won), Decimal(0)):.2f}",
        "close_ratio": round(len(won) / n, 4) if n else None,
        "avg_transaction": mean(lead.won_amount for lead in won),
        "upsell_rate": round(sum(lead.upsell_accepted for lead in won) / len(won), 4) if won else None,
        "upsell_revenue": f"{sum((lead.upsell_amount or 0 for lead in won), Decimal(0)):.2f}",
        "avg_transaction_with_upsell": mean(lead.won_amount for lead in won if lead.upsell_accepted),
        "avg_transaction_without_upsell": mean(lead.won_amount for lead in won if not lead.upsell_accepted),
        "referral_rate": round(sum(lead.source == Source.REFERRAL for lead in leads) / n, 4) if n else None,
        "median_sales_cycle_days": round(cycle, 1) if cycle is not None else None,
        "median_hot_response_minutes": round(response / 60, 1) if response is not None else None,
        "hot_unanswered": sum(lead.first_hot_at is not None and lead.hot_response_seconds is None for lead in leads),
    }


def plain_funnel(period: Period) -> list[int]:
    leads = cohort_of(period)
    return [
        len(leads),
        sum(lead.sales_ready_at is not None or lead.stage in WON_STAGES for lead in leads),
        sum(lead.stage in WON_STAGES for lead in leads),
        sum(lead.stage == Stage.CUSTOMER for lead in leads),
    ]


def plain_weekly(period: Period) -> dict:
    weeks = defaultdict(lambda: [0, 0])
    for lead in cohort_of(period):
        day = timezone.localtime(lead.inquired_at, company_zone()).date()
        week = weeks[(day - timedelta(days=day.weekday())).isoformat()]
        week[0] += 1
        week[1] += lead.stage in WON_STAGES
    return dict(weeks)


def plain_bands(owner=None) -> list[int]:
    bands = [0] * 10
    for lead in Lead.objects.filter(stage__in=OPEN):
        if owner is None or lead.owner_id == owner.pk:
            bands[min(lead.score // 10, 9)] += 1
    return bands


def plain_sources(period: Period, column: str) -> dict:
    rows = defaultdict(lambda: {"leads": 0, "won": 0, "revenue": Decimal(0), "ratings": []})
    ratings = defaultdict(list)
    for feedback in LeadFeedback.objects.all():
        ratings[feedback.lead_id].append(feedback.rating)
    for lead in cohort_of(period):
        value = getattr(lead, column)
        value = (value or "").strip().lower() if column == "utm_source" else value
        row = rows[value]
        row["leads"] += 1
        row["ratings"] += ratings[lead.pk]
        if lead.stage in WON_STAGES:
            row["won"] += 1
            row["revenue"] += lead.won_amount or 0
    return {
        value: (
            row["leads"],
            row["won"],
            f"{row['revenue']:.2f}",
            round(sum(row["ratings"]) / len(row["ratings"]), 2) if row["ratings"] else None,
        )
        for value, row in rows.items()
    }


def plain_traits(period: Period) -> dict:
    """{trait: {value: leads}} of the period's cohort, each lead's traits read plainly."""
    found = defaultdict(Counter)
    for lead in cohort_of(period):
        contact = lead.contact
        company = contact.company or Company(industry_code="", size_band="", region="", postal_code="")
        values = {
            "industry_code": company.industry_code,
            "size_band": company.size_band,
            "title": contact.title.strip(" ").lower(),
            "persona": contact.persona,
            "region": company.region,
            "postal_area": company.postal_code[:3].upper(),
            "source": lead.source,
            "product": lead.offer.code if lead.offer else "",
        }
        for trait, value in values.items():
            found[trait][value] += 1
    return {trait: dict(counted) for trait, counted in found.items()}


GROUPING_COLUMNS = {
    "utm_source": "utm_source",
    "campaign": "campaign_id",
    "offer": "offer_id",
    "placement": "placement_id",
    "list": "bought_list_id",
}


def periods() -> list[Period]:
    today = timezone.localdate()
    return [
        Period(today - timedelta(days=89), today),
        Period(today - timedelta(days=6), today),
        Period(today, today),
        Period(today - timedelta(days=60), today - timedelta(days=30)),
        Period(today - timedelta(days=200), today - timedelta(days=100)),
    ]


def assert_every_figure_is_plain(world) -> None:
    for period in periods():
        for owner in [None, *world["owners"]]:
            fast = selectors.summary(period, owner=owner)
            assert {key: fast[key] for key in plain_summary(period, owner)} == plain_summary(period, owner), (
                period,
                owner,
            )
        assert [row["count"] for row in selectors.funnel(period)] == plain_funnel(period)
        weeks = {week.start: [week.leads, week.won] for week in selectors.weekly(period) if week.leads}
        assert weeks == plain_weekly(period)
        for name, column in GROUPING_COLUMNS.items():
            fast = {
                row["key"]: (row["leads"], row["won"], row["revenue"], row["quality"])
                for row in sources.sources(period, name)
                if row["leads"]
            }
            plain = {value or None: numbers for value, numbers in plain_sources(period, column).items()}
            assert fast == plain, (period, name)
        arrivals = {row["source"]: (row["leads"], row["won"]) for row in selectors.arrivals_by_source(period)}
        plain_arrivals = Counter(lead.source for lead in cohort_of(period))
        assert {key: leads for key, (leads, _won) in arrivals.items()} == dict(plain_arrivals)
        plain = plain_traits(period)
        wanted = {trait: [*values, "never held"] for trait, values in plain.items()}
        assert cohorts.traits(period, cohorts.stale(), wanted) == plain, period
    for owner in [None, *world["owners"]]:
        assert [band["count"] for band in selectors.score_distribution(owner=owner)] == plain_bands(owner)
    open_leads = [lead for lead in Lead.objects.all() if lead.stage in rollups.OPEN_STAGES]
    assert pipeline.open_pipeline() == {
        "open_leads": len(open_leads),
        "open_value": sum((lead.estimated_value or 0 for lead in open_leads), Decimal(0)),
        "open_without_estimate": sum(lead.estimated_value is None for lead in open_leads),
    }


def test_every_figure_equals_the_plain_count_before_and_after_refreshes(world):
    rng = random.Random(20261207)
    make_book(rng, world)
    assert_every_figure_is_plain(world)  # never refreshed: every day counted live

    assert rollups.refresh_all() > 0
    assert not StaleQuarter.objects.exists()
    assert CohortDay.objects.exists()
    assert_every_figure_is_plain(world)  # every day from its stored rows

    change_some(rng, world)
    assert StaleQuarter.objects.exists()  # the triggers saw the raw writes
    assert_every_figure_is_plain(world)  # stored days and stale days mixed

    rollups.refresh(max_days=3)  # a partial refresh: some stale days left
    assert StaleQuarter.objects.exists()
    assert_every_figure_is_plain(world)

    change_some(rng, world)
    rollups.refresh_all()
    assert not StaleQuarter.objects.exists()
    assert_every_figure_is_plain(world)


def test_a_new_company_zone_counts_every_day_again(world, settings):
    make_book(random.Random(7), world, size=60)
    rollups.refresh_all()
    settings.TIME_ZONE = "Pacific/Auckland"  # a day's edges move by most of a day
    assert_every_figure_is_plain(world)  # the stored days are of the old zone: all counted live
    assert rollups.refresh_all() > 0
    assert not StaleQuarter.objects.exists()
    assert_every_figure_is_plain(world)


def test_a_refreshed_scoreboard_reads_rows_not_leads(world):
    """Once refreshed, a 90-day summary reads the rollups and counts no lead (only the stale
    days are counted from leads: none here)."""
    make_book(random.Random(3), world, size=40)
    rollups.refresh_all()
    with CaptureQueriesContext(connection) as queries:
        selectors.summary(Period(timezone.localdate() - timedelta(days=89), timezone.localdate()))
    assert not [q["sql"] for q in queries if 'FROM "leads_lead"' in q["sql"]]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lead_written_while_a_refresh_counts_neither_waits_nor_is_lost(world, monkeypatch):
    """A close committed by another connection while the refresh is counting (after it read the
    leads, before it stored their rows) goes through at once, and its day stays stale: the next
    report counts it live, and the next refresh counts it in."""
    import threading

    from django.db import connections

    make_book(random.Random(11), world, size=60)
    rollups.refresh_all()
    target = Lead.objects.filter(stage=Stage.INQUIRY).first()
    store, written = rollups._store, threading.Event()

    def close_it():
        try:
            Lead.objects.filter(pk=target.pk).update(stage=Stage.WON, won_amount=Decimal("777.00"))
            written.set()
        finally:
            connections.close_all()

    def store_after_a_write(counted):
        writer = threading.Thread(target=close_it)
        writer.start()
        writer.join(timeout=10)
        assert written.is_set(), "the write waited for the refresh"
        store(counted)

    Lead.objects.filter(pk=target.pk).update(score=(target.score + 50) % 101)  # its day stale, to be counted
    monkeypatch.setattr(rollups, "_store", store_after_a_write)
    assert rollups.refresh() == 1
    monkeypatch.setattr(rollups, "_store", store)
    assert StaleQuarter.objects.exists()  # the close's quarter, marked again while it counted
    assert_every_figure_is_plain(world)
    rollups.refresh_all()
    assert not StaleQuarter.objects.exists()
    assert_every_figure_is_plain(world)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_writer_that_found_its_quarter_marked_is_counted_once_it_commits(world):
    """A writer whose quarter was already marked stale adds no mark (ON CONFLICT DO NOTHING). If
    the refresh takes that mark while the writer is still open, only the counting can see the
    change: it waits for the writer to commit, so the change is in the stored day."""
    import threading

    from django.db import connections, transaction

    make_book(random.Random(13), world, size=60)
    rollups.refresh_all()
    target = Lead.objects.filter(stage=Stage.INQUIRY).first()
    Lead.objects.filter(pk=target.pk).update(score=(target.score + 50) % 101)  # its quarter marked, committed
    written, go, counted = threading.Event(), threading.Event(), []

    def close_it_slowly():
        try:
            with transaction.atomic():
                Lead.objects.filter(pk=target.pk).update(stage=Stage.WON, won_amount=Decimal("888.00"))
                written.set()
                go.wait(10)
        finally:
            connections.close_all()

    def refresh():
        try:
            counted.append(rollups.refresh())
        finally:
            connections.close_all()

    writer = threading.Thread(target=close_it_slowly)
    writer.start()
    assert written.wait(10)
    refresher = threading.Thread(target=refresh)
    refresher.start()
    refresher.join(timeout=1.0)
    assert refresher.is_alive(), "the refresh counted while a writer of its day was open"
    go.set()
    writer.join(10)
    refresher.join(30)
    assert counted == [1]
    assert not StaleQuarter.objects.exists()  # nothing left to say the day is stale: it must be right
    assert_every_figure_is_plain(world)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_refresh_at_a_time(world):
    """A second refresh while one holds the lock counts nothing (two would lose a day between them)."""
    from django.db import connections

    make_book(random.Random(17), world, size=20)
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [rollups.LOCK_KEY])
        assert rollups.refresh() == 0
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [rollups.LOCK_KEY])
        assert rollups.refresh_all() > 0
    finally:
        other.close()
    assert_every_figure_is_plain(world)
