"""Sales figures for `make bench`, on the leads bench/scoring.py generated (a million by default).

`python -m bench.sales setup` turns every fifth lead into a sales-ready pool lead (with the facts
the rules of engagement ask for and a time it became ready), gives a salesperson thirty leads of
their own, makes sixteen salespeople with API tokens, and prints them as one JSON line.

`python -m bench.sales db` measures the database side of the first page of a salesperson's queue:
the queue's queries run 300 times, timed at the database cursor (so the figure is database time,
round trips included, without Django's Python), and writes EXPLAIN (ANALYZE) of the queue and
claim queries to var/explain_queue.txt, reporting whether any plan reads a table sequentially.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

from bench.load import with_load

ROOT = Path(__file__).resolve().parent.parent
EXPLAIN_FILE = ROOT / "var" / "explain_queue.txt"


def setup() -> dict:
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from crm.services import create_staff_user
    from leads.models import Lead

    with connection.cursor() as cursor:
        minute = "interval '1 minute'" if connection.vendor == "postgresql" else None
        ready_at = f"now() - (id % 5000) * {minute}" if minute else "datetime('now', '-' || (id % 5000) || ' minutes')"
        cursor.execute(
            "UPDATE leads_lead SET stage = 'sales_ready', inquiry_reason = 'Saw the letter', "
            f"desired_outcome = 'Lower bills', sales_ready_at = {ready_at}, score = 60 + (id % 41), "
            "temperature = CASE WHEN 60 + (id % 41) >= 70 THEN 'hot' ELSE 'warm' END "
            "WHERE id % 5 = 0 AND owner_id IS NULL"
        )
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE leads_lead")
    people = [create_staff_user(username=f"bench-rep{i}", role="sales") for i in range(16)]
    own = list(Lead.objects.filter(stage="inquiry").order_by("pk").values_list("pk", flat=True)[:30])
    Lead.objects.filter(pk__in=own).update(owner=people[0])
    tokens = [Token.objects.get_or_create(user=person)[0].key for person in people]
    return {"tokens": tokens, "pool": Lead.objects.filter(stage="sales_ready", owner__isnull=True).count()}


def database_time() -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from sales.selectors import pool, queue_for

    user = get_user_model().objects.get(username="bench-rep0")
    spent = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent[-1] += time.perf_counter() - started

    for _ in range(20):
        queue_for(user)  # warm the caches
    for _ in range(300):
        spent.append(0.0)
        with connection.execute_wrapper(timed):
            queue_for(user)
    ms = sorted(t * 1000 for t in spent)

    plans = []
    own_sql, own_params = (
        user.owned_leads.filter(stage__in=["inquiry", "sales_ready", "unclosed"]).order_by("-score", "id")[:100]
    ).query.sql_with_params()
    pool_sql, pool_params = pool()[:26].query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        claim = pool().select_for_update(skip_locked=True, of=("self",))[:1]
        claim_sql, claim_params = claim.query.sql_with_params()
        for title, sql, params in (
            ("Own open leads", own_sql, own_params),
            ("Pool, first page", pool_sql, pool_params),
            ("Claim next (FOR UPDATE SKIP LOCKED)", claim_sql, claim_params),
        ):
            if connection.vendor == "postgresql":
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plans.append(f"-- {title}\n" + "\n".join(str(row[-1]) for row in cursor.fetchall()))
        transaction.set_rollback(True)  # EXPLAIN ANALYZE ran the claim's lock: take nothing
    text = "\n\n".join(plans) + "\n"
    EXPLAIN_FILE.write_text(text)
    return {
        "samples": len(ms),
        "p50_ms": round(statistics.median(ms), 3),
        "p99_ms": round(ms[int(len(ms) * 0.99) - 1], 3),
        "seq_scans": text.count("Seq Scan"),
        "explain_file": str(EXPLAIN_FILE.relative_to(ROOT)),
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    result = setup() if sys.argv[1:] == ["setup"] else with_load(database_time)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
