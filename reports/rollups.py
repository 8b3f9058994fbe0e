"""Counting cohort days: the one definition of every rollup row, the days that are stale, and
the refresh that counts stale days again (reports.models says why the rollups exist).

`count(days)` counts the given company days from the leads, grouped by day, in the rollups'
shape. The refresh stores what it returns; a report adds up stored rows for the days that are
fresh and what `count` returns for the days that are stale (reports.cohorts), so the two paths
share every definition and can never disagree.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import connection, connections, transaction
from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Least, TruncDate

from leads.kinds import Source, Stage
from leads.models import Lead, LeadFeedback
from reports.models import (
    QUARTER_SECONDS,
    CohortDay,
    CohortSource,
    CohortSpread,
    CohortTrait,
    CountingDay,
    RollupState,
    StaleQuarter,
)
from reports.periods import Period, company_zone
from reports.traits import TRAITS

WON = Q(stage__in=[Stage.WON, Stage.CUSTOMER])
OPEN_STAGES = [Stage.INQUIRY, Stage.SALES_READY, Stage.UNCLOSED]
UPSOLD = WON & Q(upsell_accepted=True)
NOT_UPSOLD = WON & Q(upsell_accepted=False)

# CohortDay's counts, each over a day's cohort and one owner.
DAY_COUNTS = {
    "leads": Count("id"),
    "inquiries": Count("id", filter=Q(stage=Stage.INQUIRY)),
    "sales_ready": Count("id", filter=Q(stage=Stage.SALES_READY)),
    "won": Count("id", filter=WON),
    "unclosed": Count("id", filter=Q(stage=Stage.UNCLOSED)),
    "dead": Count("id", filter=Q(stage=Stage.DEAD)),
    "customers": Count("id", filter=Q(stage=Stage.CUSTOMER)),
    "reached_sales_ready": Count("id", filter=Q(sales_ready_at__isnull=False) | WON),
    "upsells": Count("id", filter=UPSOLD),
    "referrals": Count("id", filter=Q(source=Source.REFERRAL)),
    "hot_unanswered": Count("id", filter=Q(first_hot_at__isnull=False, hot_response_seconds__isnull=True)),
    "revenue": Sum("won_amount", filter=WON, default=0),
    "priced": Count("won_amount", filter=WON),
    "upsell_revenue": Sum("upsell_amount", filter=WON, default=0),
    "with_upsell": Sum("won_amount", filter=UPSOLD, default=0),
    "with_upsell_priced": Count("won_amount", filter=UPSOLD),
    "without_upsell": Sum("won_amount", filter=NOT_UPSOLD, default=0),
    "without_upsell_priced": Count("won_amount", filter=NOT_UPSOLD),
    "open_leads": Count("id", filter=Q(stage__in=OPEN_STAGES)),
    "open_value": Sum("estimated_value", filter=Q(stage__in=OPEN_STAGES), default=0),
    "open_without_estimate": Count("id", filter=Q(stage__in=OPEN_STAGES, estimated_value__isnull=True)),
}
DAY_FIELDS = tuple(DAY_COUNTS)

# CohortSource: the lead column each grouping reads (a UTM source is merged in lower case).
GROUPING_COLUMNS = {
    "utm_source": "utm_source",
    "campaign": "campaign_id",
    "offer": "offer_id",
    "placement": "placement_id",
    "list": "bought_list_id",
    "source": "source",  # the way in (web form, phone…): the desk's arrivals by source
}
SOURCE_COUNTS = {"leads": Count("id"), "won": Count("id", filter=WON), "revenue": Sum("won_amount", filter=WON)}
SOURCE_FIELDS = ("leads", "won", "revenue", "rating_total", "ratings")

# CohortSpread: which leads each measure spreads, and over what.
SPREADS = {
    "cycle": (WON & Q(sales_cycle_days__isnull=False), F("sales_cycle_days")),
    "response": (Q(hot_response_seconds__isnull=False), F("hot_response_seconds")),
    "band": (Q(stage__in=OPEN_STAGES), Least(F("score") / 10, Value(9))),  # 0–9 … 90–100
}

DAYS_A_RUN = 120  # the most days one refresh counts: a bulk change is caught up in bounded steps


def source_value(grouping: str, raw) -> str:
    """A grouping's value as the rollups keep it: the id as text, the UTM source stripped and in
    lower case ("Radio" and "radio" are one source), "" for none."""
    if raw is None:
        return ""
    return raw.strip().lower() if grouping == "utm_source" else str(raw)


@dataclass
class Counted:
    """Rollup rows of some days, keyed as stored: (day, owner_id) → counts, (day, grouping,
    value) → counts, (day, owner_id, measure, value) → leads, (day, trait, value) → leads."""

    days: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    spreads: dict = field(default_factory=dict)
    traits: dict = field(default_factory=dict)


def day_ranges(days, lead: str = "") -> Q:
    """The leads whose first inquiry falls on one of the company days (runs of days merged);
    every lead that inquired when `days` is None. `lead` is the path to the lead ("lead__" for
    a row of a lead's, as a rating)."""
    if days is None:
        return Q(**{f"{lead}inquired_at__isnull": False})
    condition = Q(pk__in=[])
    for first, last in runs(sorted(days)):
        period = Period(first, last)
        condition |= Q(**{f"{lead}inquired_at__gte": period.since, f"{lead}inquired_at__lt": period.until})
    return condition


def runs(days: list[date]) -> list[tuple[date, date]]:
    found: list[list[date]] = []
    for day in days:
        if found and day - found[-1][1] == timedelta(days=1):
            found[-1][1] = day
        else:
            found.append([day, day])
    return [(first, last) for first, last in found]


def count(days, *, only: str = "", groupings=None, measures=None) -> Counted:
    """Rollup rows of the given company days (None: every day), counted from the leads: all of
    them, or `only` "days", "sources" (of `groupings`), "spreads" (of `measures`) or "traits".
    Each kind is one pass over the days' leads (the sources' ratings one more), however many
    groupings or measures: a live count costs a page a few scans of today's leads, not one per
    table."""
    counted = Counted()
    if days is not None and not days:
        return counted
    zone = company_zone()
    leads = Lead.objects.filter(day_ranges(days)).annotate(day=TruncDate("inquired_at", tzinfo=zone)).order_by()
    if only in ("", "days"):
        for row in leads.values("day", "owner_id").annotate(**DAY_COUNTS):
            counted.days[(row["day"], row["owner_id"])] = {name: row[name] for name in DAY_FIELDS}
    if only in ("", "sources"):
        _count_sources(counted, leads, list(groupings or GROUPING_COLUMNS), days)
    if only in ("", "spreads"):
        _count_spreads(counted, leads, list(measures or SPREADS))
    if only in ("", "traits"):
        _count_traits(counted, leads)
    return counted


def _count_sources(counted: Counted, leads, groupings: list[str], days) -> None:
    """Every grouping's counts from one query over the leads grouped by all their columns at
    once, added up per grouping (_per_column), and their ratings from one more, which joins
    each rating to its lead once (the days' leads picked out through the join, not by a list of
    their ids matched again)."""
    columns = {grouping: GROUPING_COLUMNS[grouping] for grouping in groupings}
    by_column = {column: grouping for grouping, column in columns.items()}
    rows = leads.values("day", *by_column).annotate(**SOURCE_COUNTS)
    for day, column, value, sums in _per_column(rows, list(by_column), ["leads", "won", "revenue"]):
        numbers = _source_row(counted, day, by_column[column], value)
        numbers["leads"] += sums["leads"]
        numbers["won"] += sums["won"]
        numbers["revenue"] += sums["revenue"] or 0
    # The ways in are counted, not rated: the return-on-source table rates by the others.
    rated = {f"lead__{column}": grouping for grouping, column in columns.items() if grouping != "source"}
    if not rated:
        return
    ratings = (
        LeadFeedback.objects.filter(day_ranges(days, lead="lead__"))
        .annotate(day=TruncDate("lead__inquired_at", tzinfo=company_zone()))
        .values("day", *rated)
        .annotate(total=Sum("rating"), ratings=Count("id"))
        .order_by()
    )
    for day, column, value, sums in _per_column(ratings, list(rated), ["total", "ratings"]):
        numbers = _source_row(counted, day, rated[column], value)
        numbers["rating_total"] += sums["total"]
        numbers["ratings"] += sums["ratings"]


def _per_column(rows, columns: list[str], sums: list[str]):
    """(day, column, value, {sum: total}) for each day and value of each of `columns`, from `rows`
    (a values() query grouped by "day" and all of them). On PostgreSQL the database adds them up
    (GROUPING SETS over the query): a row per value, not one per combination of values, which is
    about one per lead."""
    conn = connections[rows.db]
    if conn.vendor != "postgresql":
        for row in rows:
            for column in columns:
                yield row["day"], column, row[column], {name: row[name] for name in sums}
        return
    inner, params = rows.query.get_compiler(using=rows.db).as_sql()
    day, keys = conn.ops.quote_name("day"), [conn.ops.quote_name(column) for column in columns]
    # SUM of a count is a numeric in PostgreSQL: cast back to what the query gives (bigint for counts).
    totals = [f"CAST(SUM({conn.ops.quote_name(name)}) AS {_sum_type(rows, name)})" for name in sums]
    flags = [f"GROUPING({key})" for key in keys]
    sets = [f"({day}, {key})" for key in keys]
    sql = (
        f"SELECT {day}, {', '.join(keys + totals + flags)} FROM ({inner}) AS combinations "
        f"GROUP BY GROUPING SETS ({', '.join(sets)})"
    )
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            values = row[1 : 1 + len(columns)]
            added = row[1 + len(columns) : 1 + len(columns) + len(sums)]
            grouped = row[-len(columns) :].index(0)  # the one column this row is grouped by: GROUPING() 0
            yield row[0], columns[grouped], values[grouped], dict(zip(sums, added, strict=True))


WHOLE = ("IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField")


def _sum_type(rows, name: str) -> str:
    """The SQL type the sum of a column of `rows` is kept in: bigint for counts and whole
    numbers, numeric (unbounded) for amounts."""
    return "bigint" if rows.query.annotations[name].output_field.get_internal_type() in WHOLE else "numeric"


def _count_spreads(counted: Counted, leads, measures: list[str]) -> None:
    """Every measure's spread from one query: each lead's value of each measure (NULL where the
    measure does not spread it) as a column, grouped by all of them, split per measure here."""
    values = {
        f"spread_{measure}": Case(When(SPREADS[measure][0], then=SPREADS[measure][1]), output_field=IntegerField())
        for measure in measures
    }
    rows = leads.annotate(**values).values("day", "owner_id", *values).annotate(n=Count("id"))
    for row in rows:
        for measure in measures:
            value = row[f"spread_{measure}"]
            if value is not None:
                key = (row["day"], row["owner_id"], measure, value)
                counted.spreads[key] = counted.spreads.get(key, 0) + row["n"]


def _count_traits(counted: Counted, leads) -> None:
    """How many leads of each day hold each value of each trait (reports.traits), from one query
    grouped by all of them, added up per trait (_per_column)."""
    columns = {f"trait_{trait.field}": trait.field for trait in TRAITS}
    rows = leads.annotate(**{column: trait.expression for column, trait in zip(columns, TRAITS, strict=True)})
    rows = rows.values("day", *columns).annotate(leads=Count("id"))
    for day, column, value, sums in _per_column(rows, list(columns), ["leads"]):
        key = (day, columns[column], value)
        counted.traits[key] = counted.traits.get(key, 0) + sums["leads"]


def _source_row(counted: Counted, day, grouping: str, raw) -> dict:
    key = (day, grouping, source_value(grouping, raw))
    return counted.sources.setdefault(key, {"leads": 0, "won": 0, "revenue": 0, "rating_total": 0, "ratings": 0})


# --- Which days are stale ------------------------------------------------------------------------


def zone_name() -> str:
    return str(company_zone())


def quarter_day(quarter: int, zone) -> date:
    return datetime.fromtimestamp(quarter * QUARTER_SECONDS, tz=UTC).astimezone(zone).date()


def quarters_of(day: date) -> tuple[int, int]:
    """The quarters [first, last) a company day spans."""
    period = Period(day, day)
    return int(period.since.timestamp()) // QUARTER_SECONDS, int(period.until.timestamp()) // QUARTER_SECONDS


def stale_days() -> set[date] | None:
    """The days whose rollups are behind their leads (their quarters are stale, or a refresh is
    counting them); None when every day is (never counted, or counted in another zone)."""
    state = RollupState.objects.first()
    if state is None or state.zone != zone_name():
        return None
    return quarter_days() | set(CountingDay.objects.values_list("day", flat=True))


def quarter_days() -> set[date]:
    zone = company_zone()
    days, end = set(), None
    for quarter in StaleQuarter.objects.order_by("quarter").values_list("quarter", flat=True).iterator(2000):
        if end is None or quarter >= end:  # a day's quarters come in a run: one conversion a day
            day = quarter_day(quarter, zone)
            days.add(day)
            end = quarters_of(day)[1]
    return days


# --- Counting stale days again -------------------------------------------------------------------

# The quarter of a lead's first inquiry, as the triggers compute it (migration 0001).
QUARTER_SQL = {
    "postgresql": "floor(extract(epoch from inquired_at) / 900)::bigint",
    "sqlite": "CAST(strftime('%%s', inquired_at) AS INTEGER) / 900",
}


def refresh(max_days: int = DAYS_A_RUN) -> int:
    """Count up to `max_days` stale days (the latest first) into their rollup rows; how many were
    counted (0 too when another refresh is running). Two steps, so that a lead written while the
    days are counted never waits for it: the days' stale quarters become counting days in a short
    transaction, then the counting replaces their rows and clears them in another. A lead changed
    meanwhile marks its quarter stale again, to be counted next time.

    One catch on PostgreSQL: a writer whose quarter was already marked adds no mark of its own
    (ON CONFLICT DO NOTHING), so once the first step has taken that mark away, only the counting
    can see its change, and only after it commits. So the counting waits for every transaction
    of this database that was writing when the marks were taken (`_writers`, `_wait_for`), up to
    WAIT_SECONDS; past that the days stay counting (stale to every report) and the next refresh
    tries again."""
    with _one_refresh() as mine:
        if not mine:
            return 0
        with transaction.atomic():
            state = RollupState.objects.select_for_update().first() or RollupState.objects.create(zone="")
            if state.zone != zone_name():
                _start_over(state)
        if connection.vendor != "postgresql":  # one writer at a time: nothing to wait for
            with transaction.atomic():
                _take_quarters(max_days)
                return _count_taken()
        with transaction.atomic():
            _take_quarters(max_days)
            writers = _writers()
        if not _wait_for(writers):
            return 0
        with transaction.atomic():
            return _count_taken()


WAIT_SECONDS = 30.0  # how long a refresh waits for the writers of the quarters it took
LOCK_KEY = 21_0001  # the advisory lock one refresh at a time holds (PostgreSQL)


@contextmanager
def _one_refresh():
    """Whether this refresh may run: on PostgreSQL, a session's advisory lock, so that two never
    interleave their steps (a day taken by one while the other counts it would be lost)."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        mine = cursor.fetchone()[0]
    try:
        yield mine
    finally:
        if mine:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


def _take_quarters(max_days: int) -> None:
    """The latest stale days' quarters become counting days."""
    days = sorted(quarter_days(), reverse=True)[:max_days]
    stale = Q(pk__in=[])
    for first, last in runs(sorted(days)):
        stale |= Q(quarter__gte=quarters_of(first)[0], quarter__lt=quarters_of(last)[1])
    StaleQuarter.objects.filter(stale).delete()
    CountingDay.objects.bulk_create([CountingDay(day=day) for day in days], ignore_conflicts=True)


def _writers() -> list[str]:
    """The transactions writing in this database now, but this one's: read after the marks were
    taken, so every writer that found its quarter marked (and added no mark) is among them. From
    pg_stat_activity, which shows the app's own user every session of the same user."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(array_agg(backend_xid::text), '{}') FROM pg_stat_activity"
            " WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def _wait_for(writers: list[str]) -> bool:
    """Whether every one of `writers` ended (committed or rolled back) within WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while writers:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # a transaction keeps its first view of the sessions
            cursor.execute(
                "SELECT coalesce(array_agg(backend_xid::text), '{}') FROM pg_stat_activity"
                " WHERE datname = current_database() AND backend_xid::text = ANY(%s)",
                [writers],
            )
            writers = cursor.fetchone()[0]
        if not writers:
            break
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _count_taken() -> int:
    """Count the counting days (also a crashed or timed-out refresh's) and replace their rows."""
    RollupState.objects.select_for_update().first()
    days = list(CountingDay.objects.values_list("day", flat=True))
    if not days:
        return 0
    for model in (CohortDay, CohortSource, CohortSpread, CohortTrait):
        model.objects.filter(day__in=days).delete()
    _store(count(days))
    CountingDay.objects.filter(day__in=days).delete()
    return len(days)


def refresh_all() -> int:
    """Count every stale day (after a bulk load, and in tests); how many days were counted."""
    total = 0
    while counted := refresh():
        total += counted
    return total


def _start_over(state: RollupState) -> None:
    """Every day stale, in the company's zone: the rollups are counted again from nothing."""
    for model in (CohortDay, CohortSource, CohortSpread, CohortTrait, StaleQuarter, CountingDay):
        model.objects.all().delete()
    table, quarters = Lead._meta.db_table, StaleQuarter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quarters} (quarter) SELECT DISTINCT {QUARTER_SQL[connection.vendor]} "
            f"FROM {table} WHERE inquired_at IS NOT NULL",
            [],  # with parameters, "%%" is "%" on every backend
        )
    state.zone = zone_name()
    state.save(update_fields=["zone"])


def _store(counted: Counted) -> None:
    CohortDay.objects.bulk_create(
        [CohortDay(day=day, owner_id=owner, **numbers) for (day, owner), numbers in counted.days.items()],
        batch_size=2000,
    )
    CohortSource.objects.bulk_create(
        [
            CohortSource(day=day, grouping=grouping, value=value, **numbers)
            for (day, grouping, value), numbers in counted.sources.items()
        ],
        batch_size=2000,
    )
    CohortSpread.objects.bulk_create(
        [
            CohortSpread(day=day, owner_id=owner, measure=measure, value=value, leads=n)
            for (day, owner, measure, value), n in counted.spreads.items()
        ],
        batch_size=2000,
    )
    CohortTrait.objects.bulk_create(
        [CohortTrait(day=day, trait=trait, value=value, leads=n) for (day, trait, value), n in counted.traits.items()],
        batch_size=2000,
    )
