"""Offer and caller-search set-up for `make bench`: `python -m bench.offers` makes a live offer
with a limit of 100 and prints, as one JSON line, its id and code, 400 lead ids to redeem it
for, and the request paths for the caller-search and offer-lookup cases (phone numbers typed
in other formats, e-mail starts, names, codes in any case) over the generated contacts."""

import json
import os
import random
from datetime import timedelta

REDEEM_LIMIT = 100


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from urllib.parse import quote

    from django.utils import timezone

    from campaigns.models import Campaign, Offer, Placement
    from crm.models import Contact
    from leads.models import Lead

    now = timezone.now()
    offer = Offer.objects.create(
        campaign=Campaign.objects.create(name="Bench"),
        code="BENCH100",
        headline="Bench offer",
        starts_at=now - timedelta(days=1),
        deadline=now + timedelta(days=30),
        quantity_limit=REDEEM_LIMIT,
        upsell_product="Plan",
        upsell_pitch="Pitch",
        launched_at=now,
    )
    Placement.objects.create(
        offer=offer,
        channel="mail",
        outlet="Letter",
        starts_on=now.date(),
        ends_on=(now + timedelta(days=30)).date(),
        cost=1,
    )
    lead_ids = list(Lead.objects.order_by("-pk").values_list("pk", flat=True)[:400])
    top = Contact.objects.count()
    rng = random.Random(5)
    searches = []
    for _ in range(300):
        n = rng.randint(1, max(top - 1000, 1))
        digits = f"{2000000000 + n}"
        searches += [
            f"({digits[:3]}) {digits[3:6]}-{digits[6:]}",  # the phone as the caller says it
            f"rescore{n}.",  # the start of an e-mail
            f"Last{n}",  # a last name
            f"First{n} Last{n}",  # first and last name
        ]
    caller_paths = [f"/api/v1/callers/?q={quote(text)}" for text in searches]
    lookup_paths = [f"/api/v1/offers/lookup/?code={code}" for code in ("BENCH100", "bench100", "Bench100")] * 10
    print(
        json.dumps(
            {
                "offer": offer.pk,
                "code": offer.code,
                "lead_ids": lead_ids,
                "limit": REDEEM_LIMIT,
                "caller_paths": caller_paths,
                "lookup_paths": lookup_paths,
            }
        )
    )


if __name__ == "__main__":
    main()
