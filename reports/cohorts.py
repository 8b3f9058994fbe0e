"""A period's cohort read from the rollups: the stored rows of its fresh days, and its stale days
(today, usually, and any day whose leads changed since the last refresh) counted live by
reports.rollups.count. What the scoreboard's selectors add up into figures."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum

from leads.models import Lead
from reports import rollups
from reports.models import CohortDay, CohortSource, CohortSpread, CohortTrait
from reports.periods import Period


@dataclass
class Stale:
    """Which days are counted live: `days`, or every day (`everything`: never counted yet).

    Read once per request and passed to every report of a page, it also keeps what it counted:
    each kind of live count (days, sources, spreads) is made once over all its days, the first
    time a report asks, and every report takes its period's days from it; and the stored days
    of a period (the page's summary, funnel and weekly trend read the same ones)."""

    days: frozenset
    everything: bool
    counted: dict = field(default_factory=dict, repr=False, compare=False)
    stored: dict = field(default_factory=dict, repr=False, compare=False)

    def live(self, kind: str, period: Period | None = None, **which) -> rollups.Counted:
        """The live counts of one kind ("days", "sources", "spreads") of the stale days: of every
        stale day, counted once and kept (the caller takes its period's days), or when
        `everything` is stale, of the `period`'s days alone (every day without one) and of
        `which` groupings or measures only, counted for this caller."""
        if self.everything:
            return rollups.count(self.within(period) if period else None, only=kind, **which)
        if kind not in self.counted:
            self.counted[kind] = rollups.count(sorted(self.days), only=kind)
        return self.counted[kind]

    def __contains__(self, day: date) -> bool:
        return self.everything or day in self.days

    def within(self, period: Period) -> list[date]:
        if self.everything:
            return list(period_days(period))
        return [day for day in self.days if period.start <= day <= period.end]


def stale() -> Stale:
    days = rollups.stale_days()
    return Stale(frozenset(days or ()), days is None)


def period_days(period: Period):
    day = period.start
    while day <= period.end:
        yield day
        day = date.fromordinal(day.toordinal() + 1)


def days(period: Period, stale_now: Stale, *, owner=None) -> dict[date, dict]:
    """The cohort's counts per day of the period (CohortDay's fields), for one owner or all."""
    found: dict[date, dict] = defaultdict(lambda: dict.fromkeys(rollups.DAY_FIELDS, 0))
    if not stale_now.everything:
        for row in _stored_days(period, stale_now, owner):
            if row["day"] not in stale_now:
                _add(found[row["day"]], row)
    live = stale_now.live("days", period)
    for (day, owner_id), numbers in live.days.items():
        if period.start <= day <= period.end and (owner is None or owner_id == owner.pk):
            _add(found[day], numbers)
    return found


def _stored_days(period: Period, stale_now: Stale, owner) -> list[dict]:
    """CohortDay's rows of the period, added up over owners (or of one owner), read once per Stale."""
    key = ("days", period, owner.pk if owner is not None else None)
    if key not in stale_now.stored:
        stored = CohortDay.objects.filter(day__gte=period.start, day__lte=period.end)
        if owner is not None:
            stored = stored.filter(owner=owner)
        sums = {name: Sum(name) for name in rollups.DAY_FIELDS}
        stale_now.stored[key] = list(stored.values("day").annotate(**sums).order_by())
    return stale_now.stored[key]


def every_day(stale_now: Stale, names: tuple[str, ...]) -> dict:
    """CohortDay's `names` over every day and owner (the open pipeline: whatever the period)."""
    found = dict.fromkeys(names, 0)
    if not stale_now.everything:
        stored = CohortDay.objects.all()
        if stale_now.days:
            stored = stored.exclude(day__in=stale_now.days)
        _add(found, stored.aggregate(**{name: Sum(name) for name in names}), names)
    for numbers in stale_now.live("days").days.values():
        _add(found, numbers, names)
    return found


def sources(period: Period, stale_now: Stale, grouping: str) -> dict[str, dict]:
    """The cohort's counts per value of one grouping, over the period."""
    found: dict[str, dict] = defaultdict(lambda: dict.fromkeys(rollups.SOURCE_FIELDS, 0))
    if not stale_now.everything:
        # Added up per value by the database, the stale days left out there: a row per value,
        # not one per day and value (90 days of 20 placements were 1,800 rows through the ORM).
        stored = CohortSource.objects.filter(day__gte=period.start, day__lte=period.end, grouping=grouping)
        if stale_now.days:
            stored = stored.exclude(day__in=stale_now.days)
        sums = {name: Sum(name) for name in rollups.SOURCE_FIELDS}
        for row in stored.values("value").annotate(**sums).order_by():
            _add(found[row["value"]], row, rollups.SOURCE_FIELDS)
    live = stale_now.live("sources", period, groupings=[grouping])
    for (day, counted_grouping, value), numbers in live.sources.items():
        if counted_grouping == grouping and period.start <= day <= period.end:
            _add(found[value], numbers, rollups.SOURCE_FIELDS)
    return found


def traits(period: Period, stale_now: Stale, wanted: dict[str, list[str]]) -> dict[str, dict[str, int]]:
    """{trait: {value: leads}}: how many of the period's cohort hold each wanted value of each
    trait ({trait: [values]}, reports.traits); a value none holds is left out."""
    found: dict[str, dict[str, int]] = {trait: {} for trait in wanted}
    chosen = Q(pk__in=[])
    for trait, values in wanted.items():
        if values:
            chosen |= Q(trait=trait, value__in=values)
    if not stale_now.everything:
        stored = CohortTrait.objects.filter(chosen, day__gte=period.start, day__lte=period.end)
        if stale_now.days:
            stored = stored.exclude(day__in=stale_now.days)
        for row in stored.values("trait", "value").annotate(n=Sum("leads")).order_by():
            found[row["trait"]][row["value"]] = row["n"]
    for (day, trait, value), n in stale_now.live("traits", period).traits.items():
        if value in wanted.get(trait, ()) and period.start <= day <= period.end:
            found[trait][value] = found[trait].get(value, 0) + n
    return found


def spreads(measures: list[str], stale_now: Stale, *, period: Period | None = None, owner=None) -> dict:
    """For each measure, how many leads of the cohort (of every day, without a period) have each
    of its values: {measure: Counter({value: leads})}."""
    found: dict = {measure: Counter() for measure in measures}
    if not stale_now.everything:
        stored = CohortSpread.objects.filter(measure__in=measures)
        if period is not None:
            stored = stored.filter(day__gte=period.start, day__lte=period.end)
        if owner is not None:
            stored = stored.filter(owner=owner)
        if stale_now.days:
            stored = stored.exclude(day__in=stale_now.days)
        for row in stored.values("measure", "value").annotate(n=Sum("leads")).order_by():
            found[row["measure"]][row["value"]] += row["n"]
    live = stale_now.live("spreads", period, measures=measures)
    for (day, owner_id, measure, value), n in live.spreads.items():
        if measure not in found or (period is not None and not period.start <= day <= period.end):
            continue
        if owner is None or owner_id == owner.pk:
            found[measure][value] += n
    return found


def open_without_day(owner=None):
    """Open leads with no first inquiry (none should be: an open lead has inquired), which no
    cohort day holds: the score distribution counts them live."""
    leads = Lead.objects.filter(stage__in=rollups.OPEN_STAGES, inquired_at__isnull=True)
    return leads.filter(owner=owner) if owner is not None else leads


def _add(total: dict, numbers: dict, names=rollups.DAY_FIELDS) -> None:
    for name in names:
        value = numbers[name]
        if value is not None:
            total[name] += Decimal(value) if isinstance(value, Decimal) else value
