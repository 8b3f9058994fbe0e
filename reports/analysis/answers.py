"""The scripted answers of the period's outcome leads, counted in the database.

Answers are a JSON list on each interaction (`[{"question": key, "answer": key}, ...]`), so the
ORM cannot group by them: these are the two raw queries that do, one text with a vendor switch
for the list's elements (PostgreSQL's `jsonb_array_elements`, SQLite's `json_each`). Both read
only answers recorded up to the lead's close: what was known before the outcome. They run on
the reports alias and return counts, never a lead.

The outcome leads themselves are `outcomes(period)` compiled for that alias, so "an outcome in
the period" means the same here as in every other analysis.

Most outcome leads carry their closing tally (`Lead.closing_tally`, leads.scores): the latest
answer to each question up to the close and who recorded which answer, counted when the lead
closed. Those are read from it, one small JSON value a lead, not from their interactions; the
others (closed before it was kept, or forgotten since) are read from their interactions as
above. The two sets of leads never overlap, so their counts add up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Case, IntegerField, QuerySet, Value, When

from leads.models import Interaction
from reports.analysis.outcomes import WON, outcomes
from reports.periods import Period
from reports.router import reading_reports, reports_alias

# One row per recorded answer, from the lead's interactions up to its close: the lead, its source
# and whether it was won, the interaction's author and time, the answer's place in its list.
_ELEMENTS = {
    "postgresql": """
        SELECT o.id AS lead_id, o.source, o.won, i.author_id, i.occurred_at, i.id AS interaction_id,
               e.position, e.item ->> 'question' AS question, e.item ->> 'answer' AS answer
        FROM outcome_leads o
        JOIN {interaction} i ON i.lead_id = o.id AND i.occurred_at <= o.closed_at AND i.answers <> '[]'::jsonb
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE WHEN jsonb_typeof(i.answers) = 'array' THEN i.answers ELSE '[]'::jsonb END
        ) WITH ORDINALITY AS e(item, position)
        WHERE jsonb_typeof(e.item) = 'object'
    """,
    "sqlite": """
        SELECT o.id AS lead_id, o.source, o.won, i.author_id, i.occurred_at, i.id AS interaction_id,
               e.key AS position, json_extract(e.value, '$.question') AS question,
               json_extract(e.value, '$.answer') AS answer
        FROM outcome_leads o
        JOIN {interaction} i ON i.lead_id = o.id AND i.occurred_at <= o.closed_at AND i.answers <> '[]'
        JOIN json_each(i.answers) AS e
        WHERE json_type(i.answers) = 'array' AND e.type = 'object'
    """,
}

# Every answer a person recorded, by question, author, the lead's source and answer: how many
# answers, behind how many leads, how many of them won.
_BY_AUTHOR = """
    SELECT a.question, a.author_id, a.source, a.answer,
           COUNT(*), COUNT(DISTINCT a.lead_id), COUNT(DISTINCT CASE WHEN a.won = 1 THEN a.lead_id END)
    FROM answers a
    WHERE a.author_id IS NOT NULL AND a.question IS NOT NULL AND a.answer IS NOT NULL
    GROUP BY a.question, a.author_id, a.source, a.answer
"""

# The answer each lead ended with to each question (the latest, as the engine counts it): how
# many leads ended with each, how many of them won.
_LATEST = """
    SELECT l.question, l.answer, COUNT(*), SUM(l.won)
    FROM (
        SELECT a.lead_id, a.question, a.answer, a.won,
               ROW_NUMBER() OVER (
                   PARTITION BY a.lead_id, a.question
                   ORDER BY a.occurred_at DESC, a.interaction_id DESC, a.position DESC
               ) AS latest
        FROM answers a
        WHERE a.question IS NOT NULL AND a.answer IS NOT NULL
    ) l
    WHERE l.latest = 1
    GROUP BY l.question, l.answer
"""


# The same two counts from the closing tallies of the leads that have one ("o.tally"). An author
# since deleted is no author any more (their interactions' author became NULL): left out, as above.
_COUNTED_BY_AUTHOR = {
    "postgresql": """
        SELECT a.question, a.author_id, a.source, a.answer, SUM(a.n), COUNT(*), SUM(a.won)
        FROM (
            SELECT e.item ->> 0 AS question, (e.item ->> 1)::bigint AS author_id, o.source, e.item ->> 2 AS answer,
                   (e.item ->> 3)::integer AS n, o.won
            FROM outcome_leads o CROSS JOIN LATERAL jsonb_array_elements(o.tally -> 'answered') AS e(item)
        ) a
        WHERE EXISTS (SELECT 1 FROM {user} u WHERE u.id = a.author_id)
        GROUP BY 1, 2, 3, 4
    """,
    "sqlite": """
        SELECT a.question, a.author_id, a.source, a.answer, SUM(a.n), COUNT(*), SUM(a.won)
        FROM (
            SELECT json_extract(e.value, '$[0]') AS question, json_extract(e.value, '$[1]') AS author_id, o.source,
                   json_extract(e.value, '$[2]') AS answer, json_extract(e.value, '$[3]') AS n, o.won
            FROM outcome_leads o JOIN json_each(o.tally, '$.answered') AS e
        ) a
        WHERE EXISTS (SELECT 1 FROM {user} u WHERE u.id = a.author_id)
        GROUP BY 1, 2, 3, 4
    """,
}
_COUNTED_LATEST = {
    "postgresql": """
        SELECT e.key, e.value ->> 0, COUNT(*), SUM(o.won)
        FROM outcome_leads o CROSS JOIN LATERAL jsonb_each(o.tally -> 'answers') AS e
        GROUP BY 1, 2
    """,
    "sqlite": """
        SELECT e.key, json_extract(e.value, '$[0]'), COUNT(*), SUM(o.won)
        FROM outcome_leads o JOIN json_each(o.tally, '$.answers') AS e
        GROUP BY 1, 2
    """,
}


@dataclass(frozen=True)
class AuthorAnswers:
    question: str
    author_id: int
    source: str
    answer: str
    answers: int
    leads: int
    won: int


def compiled(queryset: QuerySet) -> tuple[str, tuple]:
    """The SQL and parameters of a queryset as the reports alias would run it."""
    return queryset.query.get_compiler(using=reports_alias()).as_sql()


def won_flag():
    """1 for a won lead (won or a customer since), 0 for a lost one."""
    return Case(When(WON, then=Value(1)), default=Value(0), output_field=IntegerField())


def _vendor(connection) -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def _run(period: Period, select: str) -> list[tuple]:
    """`select` over the answers of the outcome leads without a closing tally, read from their interactions."""
    leads = (
        outcomes(period)
        .filter(closing_tally__isnull=True)
        .order_by()
        .annotate(is_won=won_flag())
        .values_list("id", "source", "closed_at", "is_won")
    )
    leads_sql, params = compiled(leads)
    connection = connections[reports_alias()]
    elements = _ELEMENTS[_vendor(connection)].format(interaction=connection.ops.quote_name(Interaction._meta.db_table))
    sql = f"WITH outcome_leads (id, source, closed_at, won) AS ({leads_sql}), answers AS ({elements}) {select}"
    with reading_reports(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _run_counted(period: Period, selects: dict[str, str]) -> list[tuple]:
    """The vendor's select of `selects` over the closing tallies of the outcome leads that have one."""
    leads = (
        outcomes(period)
        .filter(closing_tally__isnull=False)
        .order_by()
        .annotate(is_won=won_flag())
        .values_list("source", "is_won", "closing_tally")
    )
    leads_sql, params = compiled(leads)
    connection = connections[reports_alias()]
    select = selects[_vendor(connection)].format(user=connection.ops.quote_name(get_user_model()._meta.db_table))
    sql = f"WITH outcome_leads (source, won, tally) AS ({leads_sql}) {select}"
    with reading_reports(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def by_author(period: Period, *, untallied: int) -> list[AuthorAnswers]:
    """Every recorded answer with an author on the period's outcome leads, grouped by question,
    author, the lead's source and answer. `untallied`: how many have no closing tally (0: none of
    their interactions is read)."""
    counts = defaultdict(lambda: [0, 0, 0])
    scanned = _run(period, _BY_AUTHOR) if untallied else []
    for *key, answered, leads, won in [*_run_counted(period, _COUNTED_BY_AUTHOR), *scanned]:
        held = counts[tuple(key)]
        held[0], held[1], held[2] = held[0] + int(answered), held[1] + leads, held[2] + int(won or 0)
    return [AuthorAnswers(*key, *held) for key, held in counts.items()]


def latest(period: Period, *, untallied: int) -> dict[tuple[str, str], tuple[int, int]]:
    """{(question, answer): (leads, won)}: the answer each outcome lead ended with, before its
    close. `untallied` as for by_author."""
    counts = defaultdict(lambda: (0, 0))
    scanned = _run(period, _LATEST) if untallied else []
    for question, answer, leads, won in [*_run_counted(period, _COUNTED_LATEST), *scanned]:
        held = counts[(question, answer)]
        counts[(question, answer)] = (held[0] + leads, held[1] + int(won or 0))
    return dict(counts)
