"""What prospects did with each offer's letters, e-mails and printed address (opens by a person and
by machines, clicks, QR scans, forwards: tracking's counts) beside what followed (the leads on the
offer, how many became sales-ready, how many were won). All time: the counts outlive the raw hits."""

from django.db.models import Count, Q

from campaigns.models import Offer
from leads.kinds import Stage
from leads.models import Lead
from reports.router import reading_reports
from tracking.links import link_address
from tracking.models import Purpose, Scope, Tally, TrackedLink

COLUMNS = [
    "code",
    "headline",
    "tracked_url",
    "human_opens",
    "machine_opens",
    "clicks",
    "scans",
    "forwards",
    "leads",
    "sales_ready",
    "won",
]
COUNTS = ("human_opens", "machine_opens", "clicks", "scans", "forwards")


def offers() -> list[dict]:
    with reading_reports():
        rows = list(Offer.objects.order_by("-starts_at", "code").values("pk", "code", "headline"))
        tallies = {tally.ref: tally for tally in Tally.objects.filter(scope=Scope.OFFER)}
        followed = {
            row["offer_id"]: row
            for row in Lead.objects.filter(offer__isnull=False)
            .values("offer_id")
            .annotate(
                leads=Count("id"),
                sales_ready=Count("id", filter=Q(sales_ready_at__isnull=False)),
                won=Count("id", filter=Q(stage__in=[Stage.WON, Stage.CUSTOMER])),
            )
            .order_by()
        }
        printed = {
            link.offer_id: link_address(link)
            for link in TrackedLink.objects.filter(offer__isnull=False, lead__isnull=True, purpose=Purpose.CLICK)
        }
    return [
        {
            "code": row["code"],
            "headline": row["headline"],
            "tracked_url": printed.get(row["pk"]),
            **{name: getattr(tallies.get(str(row["pk"])), name, 0) for name in COUNTS},
            **{name: followed.get(row["pk"], {}).get(name, 0) for name in ("leads", "sales_ready", "won")},
        }
        for row in rows
    ]
