"""The score analysis's book for `make bench`: `python -m bench.analysis shape|queries` in the
bench's environment. Each prints one JSON line (the last line of its output).

- `shape`, after bench/reports.py has given the generated leads the scoreboard's shape: what the
  four analyses (issue 20) read and the scoreboard does not. Outcomes closed in the two years
  (won and customers, and half of the unclosed and the dead: 4 leads in 20, 200,000 of a million;
  the rest closed 800 days ago, outside the period), the score each had at its first inquiry and
  when it became sales-ready, 2,000 companies with industry codes, size bands, regions and postal
  codes behind the contacts, the four scripted questions answered by eight CSRs on every outcome
  lead (two interactions each, the second changing one answer), and won amounts. The CSRs are made
  through crm.services, as bench/fixtures.py makes its users; the rows are generated straight into
  the database (one UPDATE or INSERT … SELECT each), as bench/scoring.py and bench/reports.py
  generate theirs. Then every closed lead's closing tally is counted by leads.scores'
  count_closing_tallies (the bulk rescore a publish's job runs, stages left as they are), as
  closing a lead through sales.services counts it; the scoreboard's rollups (which the ideal
  customer profile's share among leads reads) are counted again; then VACUUM (ANALYZE).
- `closing`: that rescore alone, on a book built before closing tallies were kept.
- `generate N`: N leads as bench/scoring.py generates them, without the full rescore (for
  `BENCH_ONLY=score_analysis`, where no figure reads the stored score).
- `queries START`: the number of SQL queries one request of each analysis makes, counted in this
  process through Django's test client as the bench's manager (every database alias counted).

bench/__main__.py times the four endpoints over HTTP (bench/clients.py), through the bench's
gunicorn, for the book's two years: `BENCH_ONLY=score_analysis` builds the book alone (generation,
then bench/reports.py, then `shape`) and measures only these.
"""

import json
import os
import sys
import time

CSRS = 8
COMPANIES = 2000
INDUSTRIES = ["238220", "236118", "238210", "561720", "541330", "423730", "221122", "811310"]
SIZES = ["1-9", "10-49", "50-249", "250-999", "1000+"]
REGIONS = ["CA", "TX", "NY", "FL", "WA", "IL", "OH", "GA"]
# The four scripted questions of scoring/defaults.py, each with its options.
ANSWERS = {
    "timeline": ["this_month", "this_quarter", "this_year", "just_looking"],
    "decision_maker": ["yes", "shared", "no"],
    "budget": ["approved", "planning", "none"],
    "system_age": ["over_15", "5_to_15", "under_5", "none"],
}
# The analyses and their query strings, for the book's two years (the start is added).
PATHS = {
    "calibration": ("/api/v1/reports/calibration/", {}),
    "raters": ("/api/v1/reports/raters/", {}),
    "rules": ("/api/v1/reports/rules/", {}),
    "icp": ("/api/v1/reports/icp/", {}),
}


def _answers_json(seed: str, shift: int) -> str:
    """A SQL expression: the four answers as a JSON list, each option chosen from `seed`."""
    items = []
    for n, (question, options) in enumerate(ANSWERS.items()):
        option = f"(ARRAY[{','.join(repr(o) for o in options)}])[1 + (({seed}) / {n + 1} + {shift}) % {len(options)}]"
        items.append(f"jsonb_build_object('question', '{question}', 'answer', {option})")
    return f"jsonb_build_array({', '.join(items)})"


def shape(cursor) -> dict:
    from django.utils import timezone

    from crm.services import create_staff_user

    stamp = timezone.now().strftime("%H%M%S%f")
    authors = [create_staff_user(username=f"bench-csr-{stamp}-{n}", role="csr").pk for n in range(CSRS)]
    started = time.perf_counter()
    # Outcomes: 4 leads in 20 closed in the two years, the others closed before them.
    cursor.execute(
        "UPDATE leads_lead SET "
        "closed_at = CASE WHEN id % 20 IN (0, 1, 3, 5) "
        "THEN now() - ((id * 7919) % 700) * interval '1 day' ELSE now() - interval '800 days' END, "
        "inquiry_score = (id * 37) % 101, "
        "sales_ready_score = LEAST(100, 30 + (id * 53) % 61 + CASE WHEN id % 20 < 3 THEN 10 ELSE 0 END), "
        "won_amount = CASE WHEN stage IN ('won', 'customer') THEN 1000 + (id % 50) * 100 END, "
        "upsell_amount = NULL "
        "WHERE stage IN ('won', 'customer', 'unclosed', 'dead')"
    )
    outcomes = cursor.rowcount
    cursor.execute(
        "INSERT INTO crm_company (name, industry_code, size_band, head_count, city, region, country, postal_code, "
        "created_at) "
        f"SELECT 'Bench company ' || n, (ARRAY[{','.join(repr(i) for i in INDUSTRIES)}])[1 + n % {len(INDUSTRIES)}], "
        f"(ARRAY[{','.join(repr(s) for s in SIZES)}])[1 + (n / 3) % {len(SIZES)}], 5 + n % 500, 'City ' || n % 50, "
        f"(ARRAY[{','.join(repr(r) for r in REGIONS)}])[1 + (n / 7) % {len(REGIONS)}], 'US', "
        f"lpad((10000 + n * 37 % 89999)::text, 5, '0'), now() FROM generate_series(1, {COMPANIES}) AS g(n) "
        "RETURNING id"
    )
    companies = sorted(row[0] for row in cursor.fetchall())
    cursor.execute(
        f"UPDATE crm_contact SET company_id = {companies[0]} + (id * 7) % {len(companies)}, "
        "title = (ARRAY['Owner', 'Office manager', 'Facilities director', 'Clerk', 'CFO'])[1 + id % 5] "
        "WHERE id % 10 <> 0"
    )
    # Two answered interactions per outcome lead before its close, by one CSR; the second changes one answer.
    author_array = f"ARRAY[{','.join(map(str, authors))}]"
    cursor.execute(
        "INSERT INTO leads_interaction (lead_id, kind, occurred_at, author_id, note, answers, metadata, created_at) "
        f"SELECT l.id, CASE WHEN k = 1 THEN 'call_inbound' ELSE 'call_outbound' END, "
        "l.closed_at - (3 - k) * interval '2 days', "
        f"({author_array})[1 + (l.id / 20) % {CSRS}], '', "
        f"CASE WHEN k = 1 THEN {_answers_json('l.id', 0)} ELSE {_answers_json('l.id', 1)} END, "
        "'{}', now() "
        "FROM leads_lead l CROSS JOIN generate_series(1, 2) AS s(k) "
        "WHERE l.id % 20 IN (0, 1, 3, 5) AND l.stage IN ('won', 'customer', 'unclosed', 'dead')"
    )
    answered = cursor.rowcount
    return {
        "analysis_shape_seconds": round(time.perf_counter() - started, 1),
        "closed_leads": outcomes,
        "companies": len(companies),
        "answered_interactions": answered,
        "csrs": CSRS,
    }


def closing_tallies() -> dict:
    """Every closed lead's closing tally counted (leads.scores.count_closing_tallies: a recount
    through the bulk rescore a publish runs, stages left as they are: the book stays the book)."""
    from leads.scores import count_closing_tallies

    started = time.perf_counter()
    counted = count_closing_tallies(behind=True)  # the generated leads were never scored
    return {"closing_tallies": counted, "closing_tallies_seconds": round(time.perf_counter() - started, 1)}


def rollups_again() -> dict:
    """The scoreboard's rollups counted again: the shape changed the leads' stages, amounts and
    contacts behind the rollups' backs (straight UPDATEs, which the triggers marked stale), and the
    beat task would have caught up with them before anyone opened the analysis."""
    from reports import rollups

    started = time.perf_counter()
    days = rollups.refresh_all()
    return {"analysis_rollup_days": days, "analysis_rollups_seconds": round(time.perf_counter() - started, 1)}


def count_outcomes(cursor) -> int:
    cursor.execute(
        "SELECT COUNT(*) FROM leads_lead WHERE stage IN ('won', 'customer', 'unclosed', 'dead') "
        "AND closed_at >= now() - interval '729 days'"
    )
    return cursor.fetchone()[0]


def queries(start: str) -> dict:
    """Queries per request of each analysis, through the test client as the bench's manager."""
    from contextlib import ExitStack

    from django.contrib.auth import get_user_model
    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-manager"))
    counts = {}
    for name, (path, query) in PATHS.items():
        with ExitStack() as stack:
            captured = [stack.enter_context(CaptureQueriesContext(connections[alias])) for alias in connections]
            response = client.get(path, {"start": start, **query}, HTTP_HOST="127.0.0.1")
        counts[name] = {"status": response.status_code, "queries": sum(len(c.captured_queries) for c in captured)}
    return counts


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        print(json.dumps({"skipped": "the score analysis's book is generated on PostgreSQL only"}))
        return
    if sys.argv[1:2] == ["queries"]:
        print(json.dumps(queries(sys.argv[2])))
        return
    if sys.argv[1:2] == ["generate"]:  # BENCH_ONLY=score_analysis: the leads, without their rescore
        from bench.scoring import generate_leads

        started = time.perf_counter()
        generate_leads(int(sys.argv[2]))
        print(json.dumps({"generate_seconds": round(time.perf_counter() - started, 1)}))
        return
    if sys.argv[1:2] == ["closing"]:
        print(json.dumps(closing_tallies()))
        return
    with connection.cursor() as cursor:
        shaped = shape(cursor)
    shaped |= closing_tallies()
    shaped |= rollups_again()
    with connection.cursor() as cursor:
        started = time.perf_counter()
        for table in ("leads_lead", "leads_interaction", "crm_contact", "crm_company"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        shaped["analysis_vacuum_seconds"] = round(time.perf_counter() - started, 1)
        shaped["outcomes_in_two_years"] = count_outcomes(cursor)
        cursor.execute("SELECT COUNT(*) FROM leads_interaction")
        shaped["interactions"] = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM leads_lead")
        shaped["leads"] = cursor.fetchone()[0]
    print(json.dumps(shaped))


if __name__ == "__main__":
    main()
