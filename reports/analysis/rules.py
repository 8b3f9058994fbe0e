"""What each rule is worth: for every behaviour rule, answer option and profile rule of the
published rules, how often it fired on the period's outcome leads, the close rate with it and
without it, the lift (with ÷ without) with its 95 % interval, and the points the outcomes
suggest (reports.stats.suggested_points: shrunken log odds).

On the reports alias: the outcome leads with a 0/1 flag per behaviour and profile rule (a
condition on the contact and company per profile rule), summed; and their scripted answers
(reports.analysis.answers), the answer each lead ended with to each question before its close, as
the engine counts it. A behaviour rule's flag comes from the lead's closing tally
(`Lead.closing_tally`, counted by leads.scores under the published rules when it closed, or at the
publish's rescore since) where it was counted under the published rules, and from the lead's
interactions up to its close for the others: two queries over two sets of leads that never
overlap, added up.
"""

from __future__ import annotations

from django.db import connections
from django.db.models import Case, F, IntegerField, JSONField, Max, Q, Value, When
from django.db.models.fields.json import KT, KeyTransform
from django.db.models.functions import Lower, Trim
from django.db.models.lookups import Contains, Exact, In

from leads.kinds import OUTCOME_STAGES
from leads.models import Interaction
from reports import stats
from reports.analysis import answers
from reports.analysis.outcomes import MIN_OUTCOMES, outcomes, rate, rounded, too_few
from reports.periods import Period
from reports.router import reading_reports, reports_alias
from scoring.engine import BehaviourRule, ProfileRule
from scoring.services import published_rule_book

MIN_SIDE = 10  # outcome leads with the rule, and without it, before points are suggested

# Where each profile field lives, as leads.scores builds the profile the engine reads.
PROFILE_PATHS = {
    "title": "contact__title",
    "persona": "contact__persona",
    "industry_code": "contact__company__industry_code",
    "size_band": "contact__company__size_band",
    "region": "contact__company__region",
    "country": "contact__company__country",
    "postal_code": "contact__company__postal_code",
}

DEFINITIONS = {
    "outcomes": "Leads whose outcome (won, unclosed, dead) fell in the period.",
    "fired": "Outcome leads the rule applied to before their close: a behaviour rule, when the lead had an "
    "interaction of its kind (and metadata) by then; an answer, when it was the lead's latest answer to the "
    "question by then; a profile rule, when the contact or company matched it when the lead closed (as "
    "recorded then; for a lead closed before that was recorded, as they are now).",
    "close_rate_with": "Won ÷ outcome leads the rule fired on (won means won or a customer since).",
    "close_rate_without": "Won ÷ outcome leads it did not fire on.",
    "lift": "Close rate with ÷ close rate without, with its 95 % interval: an interval above 1 says the rule "
    "marks leads that close more, below 1 less, holding 1 that the outcomes cannot tell.",
    "points": "The rule's points in the published rules.",
    "suggested_points": f"The points the outcomes suggest (see method); none when fewer than {MIN_OUTCOMES} "
    f"outcomes in all or fewer than {MIN_SIDE} with or without the rule.",
}

METHOD = (
    "Suggested points are shrunken log odds. For each rule, the odds of closing with it are set against the "
    "odds without it, each count given half a lead so that none is zero; the logarithm of that odds ratio "
    f"is pulled toward no effect by n ÷ (n + {stats.SHRINK_LEADS}), n being the leads it fired on, so a "
    f"rule seen {stats.SHRINK_LEADS} times keeps half of what it seems worth and one seen rarely almost "
    f"nothing; then times {stats.POINTS_PER_LOG_ODDS} points (doubling the odds of closing is worth about "
    f"{round(stats.POINTS_PER_LOG_ODDS * 0.693)} points), rounded, within ±{stats.MAX_POINTS}. A rule that "
    "changes nothing gets 0; one whose leads close less gets points below 0. The constants are in "
    "reports/stats.py. A suggestion measures each rule on its own, not what it adds to the others: "
    "preview the draft before publishing it."
)


def rules(period: Period) -> dict:
    book = published_rule_book()
    total, won, fired, untallied = _flags(period, book)
    ended_with = answers.latest(period, untallied=untallied)
    rows = []
    for i, rule in enumerate(book.behaviour):
        rows.append(_row(f"behaviour.{rule.key}", rule.label, "behaviour", fired[f"b{i}"], rule.points, total, won))
    for question in book.questions:
        for option in question.options:
            counts = ended_with.get((question.key, option.key), (0, 0))
            label = f"{question.text} {option.label}"
            rows.append(_row(f"answer.{question.key}.{option.key}", label, "answer", counts, option.points, total, won))
    for i, rule in enumerate(book.profile):
        rows.append(_row(f"profile.{rule.key}", rule.label, "profile", fired[f"p{i}"], rule.points, total, won))
    return {
        "start": period.start,
        "end": period.end,
        "outcomes": total,
        "won": won,
        "rules": rows,
        "warnings": _warnings(total, rows),
        "definitions": DEFINITIONS,
        "method": METHOD,
    }


def _row(rule: str, label: str, kind: str, counts: tuple[int, int], points: int, total: int, won: int) -> dict:
    fired, won_with = counts
    without, won_without = total - fired, won - won_with
    lift, low, high = stats.rate_ratio(won_with, fired, won_without, without)
    enough = total >= MIN_OUTCOMES and fired >= MIN_SIDE and without >= MIN_SIDE
    return {
        "rule": rule,
        "label": label,
        "kind": kind,
        "fired": fired,
        "won_with": won_with,
        "close_rate_with": rate(won_with, fired),
        "close_rate_without": rate(won_without, without),
        "lift": rounded(lift, 3),
        "ci_low": rounded(low, 3),
        "ci_high": rounded(high, 3),
        "points": points,
        "suggested_points": stats.suggested_points(won_with, fired, won_without, without) if enough else None,
    }


def behaviour_matches(rule: BehaviourRule) -> Q:
    """The engine's BehaviourRule.matches as a condition on an interaction: its kind, and each
    `when` metadata value, equal as Python's == has it (true is 1, false is 0, 3 is 3.0)."""
    condition = Q(kind=rule.kind)
    for name, value in rule.when:
        same = Q()
        for equal in _equals(value):
            # Django's own key lookup (numbers compared as numbers on SQLite too); a key holding "__"
            # would read as a path, so it is compared as a JSON value instead.
            if "__" in name:
                same |= Q(Exact(KeyTransform(name, "metadata"), Value(equal, output_field=JSONField())))
            else:
                same |= Q(**{f"metadata__{name}": equal})
        condition &= same
    return condition


def _equals(value) -> list:
    """The JSON values Python's == holds equal to `value` where JSON tells them apart."""
    if isinstance(value, bool):
        return [value, int(value)]
    if isinstance(value, int | float) and value in (0, 1):
        return [value, bool(value)]
    return [value]


def profile_fits(rule: ProfileRule) -> Q:
    """The engine's ProfileRule.matches as a condition on the lead's contact and company: the
    field, trimmed and lower-cased, equals one of the values ("exact") or holds one ("contains")."""
    field = Lower(Trim(PROFILE_PATHS[rule.field]))
    wanted = [value.lower() for value in rule.values]
    if rule.match == "contains":
        fits = Q()
        for value in wanted:
            fits |= Q(Contains(field, value))
        return fits
    return Q(In(field, wanted))


def _one(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _fits_sql(rule: ProfileRule) -> tuple[str, list[str]]:
    """profile_fits as SQL over the recorded profile field `o.f_<field>` (already trimmed and
    lower-cased): equal to one of the values, or holding one (LIKE, its wildcards escaped)."""
    field = f"o.f_{rule.field}"
    wanted = [value.lower() for value in rule.values]
    if not wanted:
        return "1 = 0", []
    if rule.match == "contains":
        held = [f"%{_escaped(value)}%" for value in wanted]
        return " OR ".join([f"{field} LIKE %s ESCAPE '\\'"] * len(held)), held
    return f"{field} IN ({', '.join(['%s'] * len(wanted))})", wanted


def _escaped(value: str) -> str:
    """A value to look for with LIKE, its own wildcards taken literally."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _has_key_sql(key: str, vendor: str) -> tuple[str, list[str]]:
    """The lead's recorded counts (`o.counts`) hold `key`."""
    if vendor == "postgresql":
        return "o.counts ? %s", [key]
    return "json_type(o.counts, %s) IS NOT NULL", [f'$."{key}"']


COUNTED, OTHER_RULES, UNTALLIED = 0, 1, 2  # what a lead's closing tally is to the published rules


def _flags(period: Period, book) -> tuple[int, int, dict[str, tuple[int, int]], int]:
    """(outcomes, won, {flag: (leads it fired on, won among them)}, leads without a closing tally).

    One pass over the outcome leads counts them all and reads the flags it can from what each lead
    kept when it closed: a behaviour rule fired when its key is among the closing tally's counts
    (counted under the book; a count is kept only from 1), a profile rule when the recorded
    profile fits. Each lead's counts and profile fields are taken out once (a subquery the planner
    keeps apart), then tested per rule. Only for leads without those does a second query read
    their interactions, or their contact and company as they are now (_scanned_flags)."""
    fields = sorted({rule.field for rule in book.profile})
    tally = Case(
        When(closing_tally__isnull=True, then=Value(UNTALLIED)),
        When(closing_tally__version=book.version, then=Value(COUNTED)),
        default=Value(OTHER_RULES),
        output_field=IntegerField(),
    )
    leads = (
        outcomes(period)
        .order_by()
        .annotate(
            is_won=answers.won_flag(),
            tally=tally,
            recorded=_one(Q(closing_profile__isnull=False)),
            counts=KeyTransform("counts", "closing_tally"),
            **{f"f_{name}": Lower(Trim(KT(f"closing_profile__{name}"))) for name in fields},
        )
        .values_list("is_won", "tally", "recorded", "counts", *(f"f_{name}" for name in fields))
    )
    leads_sql, params = answers.compiled(leads)
    connection = connections[reports_alias()]
    columns = [
        "SUM(CASE WHEN o.tally <> %s THEN 1 ELSE 0 END)",
        "SUM(CASE WHEN o.tally = %s THEN 1 ELSE 0 END)",
        "SUM(1 - o.recorded)",
    ]
    arguments = [COUNTED, UNTALLIED]
    kept = [("o.recorded = %s", [1], _fits_sql(rule)) for rule in book.profile]
    kept += [("o.tally = %s", [COUNTED], _has_key_sql(rule.key, connection.vendor)) for rule in book.behaviour]
    for when, when_values, (sql, values) in kept:
        columns.append(f"SUM(CASE WHEN {when} AND ({sql}) THEN 1 ELSE 0 END)")
        columns.append(f"SUM(CASE WHEN {when} AND ({sql}) THEN o.is_won ELSE 0 END)")
        arguments += [*when_values, *values, *when_values, *values]
    apart = " OFFSET 0" if connection.vendor == "postgresql" else ""  # kept apart: each value read once
    # The columns' values come first in the statement's text, then the leads'.
    total, won, uncounted, untallied, unrecorded, *row = _summed(leads_sql + apart, (*arguments, *params), columns)
    names = [f"p{i}" for i in range(len(book.profile))] + [f"b{i}" for i in range(len(book.behaviour))]
    fired = {name: (row[2 * i], row[2 * i + 1]) for i, name in enumerate(names)}
    if uncounted or unrecorded:
        for name, (more, more_won) in _scanned_flags(period, book).items():
            fired[name] = (fired[name][0] + more, fired[name][1] + more_won)
    return total, won, fired, untallied


def _summed(leads_sql: str, params: tuple, columns: list[str], joined: str = "") -> list[int]:
    sql = f"SELECT {', '.join(['COUNT(*)', 'SUM(o.is_won)', *columns])} FROM ({leads_sql}) o {joined}"
    connection = connections[reports_alias()]
    with reading_reports(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [int(value or 0) for value in cursor.fetchone()]


def _scanned_flags(period: Period, book) -> dict[str, tuple[int, int]]:
    """The flags the outcome leads did not keep: a 0/1 per profile rule from the contact and company
    as they are now, for leads with no recorded profile; for leads whose closing tally was not
    counted under the book, their interactions up to the close read once, grouped by lead, with a
    0/1 per behaviour rule (did any match?), joined and summed. One pass over those interactions,
    not a lookup per lead and rule."""
    behaviour, profile = book.behaviour, book.profile
    counted, recorded = Q(closing_tally__version=book.version), Q(closing_profile__isnull=False)
    leads = (
        outcomes(period)
        .order_by()
        .annotate(
            is_won=answers.won_flag(),
            kept=_one(counted & recorded),
            **{f"p{i}": _one(~recorded & profile_fits(rule)) for i, rule in enumerate(profile)},
        )
        .filter(kept=0)
        .values_list("id", "is_won", *(f"p{i}" for i in range(len(profile))))
    )
    leads_sql, leads_params = answers.compiled(leads)
    columns = [f"SUM(o.p{i}), SUM(o.p{i} * o.is_won)" for i in range(len(profile))]
    joined, fired_params = "", ()
    if behaviour:
        fired = (
            # outcomes(period)'s leads as conditions on the joined lead (not `lead__in=`): one join,
            # and the planner reads each lead's interactions up to its close from the (lead, time) index.
            Interaction.objects.filter(
                lead__stage__in=OUTCOME_STAGES,
                lead__closed_at__gte=period.since,
                lead__closed_at__lt=period.until,
                occurred_at__lte=F("lead__closed_at"),
                kind__in={rule.kind for rule in behaviour},
            )
            .annotate(lead_counted=_one(Q(lead__closing_tally__version=book.version)))  # those are read above
            .filter(lead_counted=0)
            .order_by()
            .values("lead_id")
            .annotate(**{f"b{i}": Max(_one(behaviour_matches(rule))) for i, rule in enumerate(behaviour)})
        )
        fired_sql, fired_params = answers.compiled(fired)
        joined = f"LEFT JOIN ({fired_sql}) f ON f.lead_id = o.id"
        columns += [f"SUM(COALESCE(f.b{i}, 0)), SUM(COALESCE(f.b{i}, 0) * o.is_won)" for i in range(len(behaviour))]
    _total, _won, *row = _summed(leads_sql, (*leads_params, *fired_params), columns, joined)
    names = [f"p{i}" for i in range(len(profile))] + [f"b{i}" for i in range(len(behaviour))]
    return {name: (row[2 * i], row[2 * i + 1]) for i, name in enumerate(names)}


def _warnings(total: int, rows: list[dict]) -> list[str]:
    said = [too_few(total)] if too_few(total) else []
    if not total:
        return said
    silent = [row["rule"] for row in rows if not row["fired"]]
    if silent:
        said.append(f"Never fired on these outcomes, so nothing to say about: {', '.join(silent)}.")
    if total >= MIN_OUTCOMES:
        thin = [row["rule"] for row in rows if row["fired"] and row["suggested_points"] is None]
        if thin:
            said.append(
                f"Fired on fewer than {MIN_SIDE} outcome leads, or on all but fewer than {MIN_SIDE}, so no points "
                f"are suggested for: {', '.join(thin)}."
            )
    for row in rows:
        if row["ci_low"] is None:
            continue
        if row["points"] > 0 and row["ci_high"] < 1:
            said.append(
                f"{row['label']} ({row['rule']}) earns {row['points']} points, yet its leads close less "
                f"({row['close_rate_with']:.0%} against {row['close_rate_without']:.0%}), beyond the noise."
            )
        elif row["points"] < 0 and row["ci_low"] > 1:
            said.append(
                f"{row['label']} ({row['rule']}) costs {-row['points']} points, yet its leads close more "
                f"({row['close_rate_with']:.0%} against {row['close_rate_without']:.0%}), beyond the noise."
            )
    return said
