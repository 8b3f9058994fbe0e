"""Reads for the sales side: the pool, the salesperson's queue, the lead page's sales panel and
sales' ratings of lead quality for marketing."""

import base64
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Avg, Count, Q, QuerySet

from config.ids import parse_id, parse_int
from config.times import in_utc
from crm.roles import Role, has_role
from leads.kinds import Stage
from leads.models import Lead, LeadFeedback


def pool() -> QuerySet:
    """The unassigned sales-ready leads, highest score first, then longest waiting (a partial
    index serves this order; temperature follows the score, so hot comes first)."""
    return Lead.objects.filter(stage=Stage.SALES_READY, owner__isnull=True).order_by("-score", "sales_ready_at", "id")


def sales_panel(user, lead) -> dict:
    """What the lead page's sales panel may offer this user for this lead."""
    is_manager = has_role(user, Role.MANAGER)
    open_lead = lead.stage in (Stage.INQUIRY, Stage.SALES_READY, Stage.UNCLOSED)
    return {
        "can_handover": open_lead and (is_manager or has_role(user, Role.MARKETING)),
        "can_claim": open_lead and lead.owner_id is None and has_role(user, Role.SALES, Role.MANAGER),
        "can_accept": lead.owner_id == user.pk and lead.owner_accepted_at is None,
        "can_close": open_lead and (lead.owner_id == user.pk or is_manager),
        "can_rate": lead.owner_id == user.pk or is_manager,
        "salespeople": salespeople(),
    }


def salespeople() -> QuerySet:
    return get_user_model().objects.filter(groups__name=Role.SALES, is_active=True).order_by("username")


QUEUE_PAGE = 25
# The columns a queue row shows: reading only these keeps the salesperson's busiest page light.
QUEUE_FIELDS = (
    "id",
    "contact__first_name",
    "contact__last_name",
    "contact__email",
    "contact__phone",
    "contact__company__name",
    "stage",
    "score",
    "temperature",
    "owner_id",
    "inquiry_reason",
    "desired_outcome",
    "source",
    "offer_id",
    "sales_ready_at",
    "handed_over_at",
    "owner_accepted_at",
    "last_activity_at",
)


def encode_queue_cursor(lead) -> str:
    raw = f"{lead.score}|{lead.sales_ready_at.isoformat()}|{lead.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_queue_cursor(cursor: str) -> tuple[int, datetime, int]:
    try:
        score, at, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        score, pk = parse_int(score), parse_id(pk)
        if score is None or pk is None:
            raise ValueError("not numbers")
        return score, in_utc(datetime.fromisoformat(at)), pk
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError({"after": ["Not a queue position this list gave out."]}) from exc


def queue_for(user, *, after: str = "", limit: int = QUEUE_PAGE) -> dict:
    """A salesperson's work list: their own open leads (on the first page), then the pool in
    priority order, paged by keyset (score, time ready, id) so page 1,000 costs what page 1 does."""
    own = []
    if not after:
        own = list(
            Lead.objects.filter(owner=user, stage__in=[Stage.INQUIRY, Stage.SALES_READY, Stage.UNCLOSED])
            .select_related("contact__company")
            .only(*QUEUE_FIELDS)
            .order_by("-score", "id")[:100]
        )
    pool_leads = pool().select_related("contact__company").only(*QUEUE_FIELDS)
    if after:
        score, at, pk = decode_queue_cursor(after)
        # The redundant `score <= s` lets PostgreSQL start the index scan at the cursor
        # instead of filtering from the top, so a deep page costs what the first one does.
        pool_leads = pool_leads.filter(score__lte=score).filter(
            Q(score__lt=score) | Q(score=score, sales_ready_at__gt=at) | Q(score=score, sales_ready_at=at, pk__gt=pk)
        )
    page = list(pool_leads[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {"own": own, "pool": page, "next": encode_queue_cursor(page[-1]) if more else None}


def feedback_by_source() -> list[dict]:
    """Sales' ratings of lead quality per campaign and source, for marketing."""
    rows = (
        LeadFeedback.objects.values("lead__campaign_id", "lead__campaign__name", "lead__source")
        .annotate(ratings=Count("id"), average=Avg("rating"))
        .order_by("lead__campaign__name", "lead__source")
    )
    return [
        {
            "campaign": row["lead__campaign_id"],
            "campaign_name": row["lead__campaign__name"] or "",
            "source": row["lead__source"],
            "ratings": row["ratings"],
            "average_rating": round(float(row["average"]), 2),
        }
        for row in rows
    ]
