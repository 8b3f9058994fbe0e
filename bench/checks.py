"""Checks that a figure measured what its name says: `python -m bench.checks idempotency PREFIX...`.

The idempotent capture cases are only worth their name if the server really took each request's
Idempotency-Key: a header it ignored would leave them measuring the plain capture. For each key
prefix given, this counts the idempotency records the server kept under it, and how many of
them hold a 201 answer, and prints them as one JSON line; bench/__main__.py compares them with
the responses the case counted.
"""

import json
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from leads.models import IdempotencyRecord

    counts = {}
    for prefix in sys.argv[2:]:
        records = IdempotencyRecord.objects.filter(key__startswith=prefix)
        counts[prefix] = {"records": records.count(), "created": records.filter(status_code=201).count()}
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
