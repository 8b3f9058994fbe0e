"""The scoreboard's book for `make bench`: `python -m bench.reports` in the bench's environment,
after the other HTTP cases (it reshapes the book they used). It prints one JSON line.

The million generated leads (bench/scoring.py) are given the shape of a real book: arrivals
(first inquiries) spread over two years, every stage (10% won with amounts, cycles and upsells), twelve UTM
sources, ten campaigns with twenty offers and sixty placements, referrals, first responses to
hot leads, sales' ratings; and interactions are added until the book holds BENCH_INTERACTIONS
(10,000,000). Then VACUUM (ANALYZE) of the two tables, and the scoreboard's rollups counted
(count_rollups). The reports themselves are timed by
bench/__main__.py over HTTP, through the bench's gunicorn, with concurrent clients
(bench/clients.py), as the signed-in manager bench/fixtures.py made.
"""

import json
import os
import time

INTERACTIONS = int(os.environ.get("BENCH_INTERACTIONS", "10000000"))
SOURCES = ["google", "facebook", "radio", "newspaper", "letter", "bing", "linkedin", "tv", "billboard", "expo", "email"]
SOURCES.append("")  # leads that came with no utm_source


def shape_book(cursor) -> dict:
    """Stages, money, sources and attribution over the generated leads, in a few UPDATEs."""
    from django.utils import timezone

    from campaigns.models import Campaign, Offer, Placement

    now = timezone.now()
    placements = []
    for c in range(10):
        campaign = Campaign.objects.create(name=f"Bench campaign {c} {now:%H%M%S%f}")
        for o in range(2):
            offer = Offer.objects.create(
                campaign=campaign,
                code=f"BR{c}{o}{now:%H%M%S%f}"[:40],
                headline=f"Offer {c}.{o}",
                starts_at=now - timezone.timedelta(days=730),
                deadline=now + timezone.timedelta(days=30),
            )
            for p in range(3):
                start = (now - timezone.timedelta(days=700 - 200 * p)).date()
                placements.append(
                    Placement.objects.create(
                        offer=offer,
                        channel="radio",
                        outlet=SOURCES[(c + p) % 11],
                        starts_on=start,
                        ends_on=start + timezone.timedelta(days=180),
                        cost=1000 + 250 * p,
                    )
                )
    ids = ",".join(str(p.pk) for p in placements)
    offer_of = ",".join(str(p.offer_id) for p in placements)
    campaign_of = ",".join(str(p.offer.campaign_id) for p in placements)
    sources = "ARRAY[" + ",".join(f"'{s}'" for s in SOURCES) + "]"
    started = time.perf_counter()
    cursor.execute(
        "UPDATE leads_lead SET "
        "created_at = now() - ((id * 7919) % 730) * interval '1 day' - (id % 86400) * interval '1 second', "
        "inquired_at = now() - ((id * 7919) % 730) * interval '1 day' - (id % 86400) * interval '1 second', "
        "first_hot_at = CASE WHEN id % 4 = 0 THEN now() - ((id * 7919) % 730) * interval '1 day' END, "
        "stage = CASE WHEN id % 20 < 2 THEN 'won' WHEN id % 20 = 2 THEN 'customer' WHEN id % 20 < 5 THEN 'unclosed' "
        "WHEN id % 20 = 5 THEN 'dead' WHEN id % 20 < 9 THEN 'sales_ready' ELSE 'inquiry' END, "
        f"utm_source = ({sources})[1 + id % {len(SOURCES)}], "
        "source = CASE WHEN id % 25 = 0 THEN 'referral' ELSE 'web_form' END, "
        "estimated_value = 500 + (id % 40) * 250, "
        "hot_response_seconds = CASE WHEN id % 4 = 0 THEN 60 + (id % 7200) END, "
        "sales_ready_at = CASE WHEN id % 20 < 3 OR id % 20 BETWEEN 6 AND 8 "
        "THEN now() - ((id * 7919) % 730) * interval '1 day' + interval '1 day' END"
    )
    cursor.execute(
        "UPDATE leads_lead SET won_amount = 1000 + (id % 50) * 100, sales_cycle_days = id % 90, "
        "upsell_accepted = (id % 3 = 0), closed_at = created_at + (id % 90) * interval '1 day' "
        "WHERE stage IN ('won', 'customer')"
    )
    cursor.execute(
        f"UPDATE leads_lead SET placement_id = (ARRAY[{ids}])[1 + id % {len(placements)}], "
        f"offer_id = (ARRAY[{offer_of}])[1 + id % {len(placements)}], "
        f"campaign_id = (ARRAY[{campaign_of}])[1 + id % {len(placements)}] WHERE id % 3 = 0"
    )
    cursor.execute(
        "INSERT INTO leads_leadfeedback (lead_id, author_id, rating, reason, created_at) "
        "SELECT id, NULL, 1 + id % 5, 'bench', now() FROM leads_lead WHERE id % 50 = 0"
    )
    return {"shape_seconds": round(time.perf_counter() - started, 1), "placements": len(placements)}


def fill_interactions(cursor) -> dict:
    cursor.execute("SELECT COUNT(*) FROM leads_interaction")
    have = cursor.fetchone()[0]
    cursor.execute("SELECT COUNT(*), MIN(id) FROM leads_lead")
    leads, first = cursor.fetchone()
    missing = max(INTERACTIONS - have, 0)
    started = time.perf_counter()
    if missing and leads:
        per_lead = -(-missing // leads)
        cursor.execute(
            "INSERT INTO leads_interaction (lead_id, kind, occurred_at, note, answers, metadata, created_at) "
            "SELECT l.id, (ARRAY['email_open','web_visit','email_click','note'])[1 + (l.id + k) % 4], "
            "l.created_at + k * interval '1 hour', '', '[]', '{}', now() "
            f"FROM leads_lead l CROSS JOIN generate_series(1, {per_lead}) AS s(k) "
            f"WHERE (l.id - {first}) * {per_lead} + k <= {missing}"
        )
    cursor.execute("SELECT COUNT(*) FROM leads_interaction")
    seconds = round(time.perf_counter() - started, 1)
    return {"interactions": cursor.fetchone()[0], "leads": leads, "fill_seconds": seconds}


def count_rollups() -> dict:
    """The scoreboard's rollups counted over the reshaped book, as the beat task would after a
    bulk change (every day is stale), then a working day's state: today's leads and two older
    days' changed since the last refresh, so the reports count those days live, as they would
    between two refreshes of a busy book."""
    from django.db import connection

    from reports import rollups

    started = time.perf_counter()
    days = rollups.refresh_all()
    seconds = round(time.perf_counter() - started, 1)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in ("reports_cohortday", "reports_cohortsource", "reports_cohortspread"):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
        for days_ago in (0, 3, 40):
            cursor.execute(
                "UPDATE leads_lead SET score = 100 - score WHERE id IN (SELECT id FROM leads_lead "
                "WHERE inquired_at >= now() - %s * interval '1 day' - interval '1 hour' "
                "AND inquired_at < now() - %s * interval '1 day' AND stage = 'inquiry' LIMIT 5)",
                [days_ago, days_ago],
            )
    return {"rollup_days": days, "rollups_seconds": seconds, "stale_days": len(rollups.stale_days() or ())}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    with connection.cursor() as cursor:
        shape = shape_book(cursor)
        filled = fill_interactions(cursor)
    if connection.vendor == "postgresql":
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) leads_lead")
            cursor.execute("VACUUM (ANALYZE) leads_interaction")
        shape["vacuum_seconds"] = round(time.perf_counter() - started, 1)
    shape |= count_rollups()
    # The first day of the two-year period, in the server's time zone, for the `2y` cases.
    two_years = (timezone.localdate() - timezone.timedelta(days=729)).isoformat()
    print(json.dumps({**shape, **filled, "two_years_start": two_years}))


if __name__ == "__main__":
    main()
