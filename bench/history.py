"""Leads with a long history for `make bench`: `python -m bench.history LEAD_IDS_FILE`.

log_interaction rescores the lead; before the tally (leads.scores) that reread every interaction
the lead has, so its cost grew with the lead's history, and log_interaction_3000 shows that it no
longer does. The set-up leads of the plain case have one interaction
each. bench/__main__.py posts real captures for HISTORY_LEADS leads (a form interaction each)
and then runs this script on their ids, while the server is up: for each lead it bulk-inserts
BENCH_HISTORY - 1 older interactions (e-mail opens and clicks, web visits and notes, spread over
the year before the capture), so each holds BENCH_HISTORY (3,000), and then recomputes its
stored score through the product's own rescore (`rescore_lead`, under the lead's row lock, as
an interaction does), so the lead is in a state the product could have reached: its score,
temperature and score history agree with its interactions. Prints one JSON line: the leads,
the interactions each holds, their scores and the seconds it took.
"""

import json
import os
import sys
import time
from datetime import timedelta

HISTORY = int(os.environ.get("BENCH_HISTORY", "3000"))  # interactions a history lead holds
KINDS = ("email_open", "web_visit", "email_click", "note")


def build(lead_ids: list[int]) -> dict:
    from django.db import transaction
    from django.db.models import Count
    from django.utils import timezone

    from leads.models import Interaction, Lead
    from leads.scores import rescore_lead

    started = time.perf_counter()
    now = timezone.now()
    have = dict(
        Interaction.objects.filter(lead_id__in=lead_ids).values("lead").annotate(n=Count("id")).values_list("lead", "n")
    )
    Interaction.objects.bulk_create(
        [
            Interaction(
                lead_id=lead_id,
                kind=KINDS[i % len(KINDS)],
                occurred_at=now - timedelta(days=1) - timedelta(minutes=525 * i),  # the year before
                metadata={"bench": "history"},
            )
            for lead_id in lead_ids
            for i in range(HISTORY - have.get(lead_id, 0))
        ],
        batch_size=5000,
    )
    inserted = time.perf_counter() - started
    for lead_id in lead_ids:
        with transaction.atomic():
            lead = Lead.objects.select_related("contact__company").select_for_update(of=("self",)).get(pk=lead_id)
            rescore_lead(lead, reason="bench: a year of history")
    counts = dict(
        Interaction.objects.filter(lead_id__in=lead_ids).values("lead").annotate(n=Count("id")).values_list("lead", "n")
    )
    leads = Lead.objects.filter(pk__in=lead_ids)
    return {
        "leads": len(lead_ids),
        "interactions_min": min(counts.values()),
        "interactions_max": max(counts.values()),
        "scores": sorted(set(leads.values_list("score", flat=True))),
        "temperatures": sorted(set(leads.values_list("temperature", flat=True))),
        "stages": sorted(set(leads.values_list("stage", flat=True))),
        "insert_seconds": round(inserted, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    with open(sys.argv[1]) as lines:
        lead_ids = [int(line) for line in lines if line.strip()]
    print(json.dumps(build(lead_ids)))


if __name__ == "__main__":
    main()
