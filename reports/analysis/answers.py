"""The scripted answers of the period's outcome leads, counted in the database.

Answers are a JSON list on each interaction (`[{"question": key, "answer": key}, ...]`), so the
ORM cannot group by them: these are the two raw queries that do, one text with a vendor switch
for the list's elements (PostgreSQL's `jsonb_array_elements`, SQLite's `json_each`). Both read
only answers recorded up to the lead's close: what was known before the outcome. They run on
the reports alias and return counts, never a lead.

The outcome leads themselves are `outcomes(period)` compiled for that alias, so "an outcome in
the period" means the same here as in every other analysis.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def _run(period: Period, select: str) -> list[tuple]:
    leads = outcomes(period).order_by().annotate(is_won=won_flag()).values_list("id", "source", "closed_at", "is_won")
    leads_sql, params = compiled(leads)
    connection = connections[reports_alias()]
    vendor = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    elements = _ELEMENTS[vendor].format(interaction=connection.ops.quote_name(Interaction._meta.db_table))
    sql = f"WITH outcome_leads (id, source, closed_at, won) AS ({leads_sql}), answers AS ({elements}) {select}"
    with reading_reports(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def by_author(period: Period) -> list[AuthorAnswers]:
    """Every recorded answer with an author on the period's outcome leads, grouped by question,
    author, the lead's source and answer."""
    return [AuthorAnswers(*row) for row in _run(period, _BY_AUTHOR)]


def latest(period: Period) -> dict[tuple[str, str], tuple[int, int]]:
    """{(question, answer): (leads, won)}: the answer each outcome lead ended with, before its close."""
    return {(question, answer): (leads, int(won or 0)) for question, answer, leads, won in _run(period, _LATEST)}
