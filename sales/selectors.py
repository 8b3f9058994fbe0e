"""Reads for the sales side: the pool, the salesperson's queue, the lead page's sales panel,
sales' ratings of lead quality for marketing, the leads waiting for their owner's acceptance and
each owner's load, and the pipeline board's columns."""

import base64
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Avg, Count, Q, QuerySet, Sum

from config.ids import parse_id, parse_int
from config.times import in_utc
from crm.roles import Role, has_role
from leads.kinds import Stage
from leads.models import Lead, LeadFeedback, Temperature
from leads.selectors import visible_leads
from tracking.selectors import recent_engagement


def pool() -> QuerySet:
    """The unassigned sales-ready leads, highest score first, then longest waiting (a partial
    index serves this order; temperature follows the score, so hot comes first)."""
    return Lead.objects.filter(stage=Stage.SALES_READY, owner__isnull=True).order_by("-score", "sales_ready_at", "id")


def sales_panel(user, lead) -> dict:
    """What the lead page's sales panel may offer this user for this lead."""
    is_manager = has_role(user, Role.MANAGER)
    writable = lead.contact.erased_at is None  # erased on request: nothing more is recorded (crm.erased)
    open_lead = writable and lead.stage in (Stage.INQUIRY, Stage.SALES_READY, Stage.UNCLOSED)
    return {
        "can_handover": open_lead and (is_manager or has_role(user, Role.MARKETING)),
        "can_claim": open_lead and lead.owner_id is None and has_role(user, Role.SALES, Role.MANAGER),
        "can_accept": open_lead and lead.owner_id == user.pk and lead.owner_accepted_at is None,
        "can_close": open_lead and (lead.owner_id == user.pk or is_manager),
        "can_rate": writable and (lead.owner_id == user.pk or is_manager),
        "salespeople": salespeople(),
    }


def salespeople() -> QuerySet:
    return get_user_model().objects.filter(groups__name=Role.SALES, is_active=True).order_by("username")


QUEUE_PAGE = 25
# Who a lead is and where it stands: what every list of leads on the salesperson's pages shows.
LEAD_ROW_FIELDS = (
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
)
# The columns a queue row shows: reading only these keeps the salesperson's busiest page light.
QUEUE_FIELDS = (
    *LEAD_ROW_FIELDS,
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


RECENT_DAYS = 7  # the queue's "recent engagement": opens, clicks, scans and visits of the last week


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
    engagement = recent_engagement([lead.pk for lead in [*own, *page]], days=RECENT_DAYS)
    return {
        "own": own,
        "pool": page,
        "next": encode_queue_cursor(page[-1]) if more else None,
        "engagement": engagement,  # {lead id: what the prospect did in the last RECENT_DAYS days}
        "recent_days": RECENT_DAYS,
    }


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


WORKED_STAGES = (Stage.INQUIRY, Stage.SALES_READY, Stage.UNCLOSED)  # open, and past the bought list


def to_accept(user, *, limit: int = 8) -> dict:
    """Leads handed to `user` that they have not accepted yet: how many, and the oldest `limit`
    first (they have waited longest). Two queries."""
    leads = Lead.objects.filter(owner=user, owner_accepted_at__isnull=True, stage__in=WORKED_STAGES)
    rows = list(leads.select_related("contact__company").order_by("handed_over_at", "id")[:limit])
    return {"count": leads.count() if len(rows) == limit else len(rows), "rows": rows}


def open_leads_per_owner(owner_ids) -> dict[int, dict]:
    """Each owner's open leads and, of those, the hot ones, in one grouped query (the partial
    index lead_owner_open_idx holds exactly these rows)."""
    rows = (
        Lead.objects.filter(owner_id__in=list(owner_ids), stage__in=WORKED_STAGES)
        .values("owner_id")
        .annotate(open=Count("id"), hot=Count("id", filter=Q(temperature=Temperature.HOT)))
        .order_by()
    )
    return {row["owner_id"]: {"open": row["open"], "hot": row["hot"]} for row in rows}


# --- The pipeline board -------------------------------------------------------------------------

BOARD_CARDS = 50  # cards shown per column; the counts and totals are over every lead
BOARD_CARD_FIELDS = (
    *LEAD_ROW_FIELDS,
    "owner__username",
    "estimated_value",
    "won_amount",
    "closed_at",
    "owner_accepted_at",
)


def may_see_the_team(user) -> bool:
    """Marketing and managers may switch the board to everyone's leads."""
    return has_role(user, Role.MARKETING, Role.MANAGER)


def board_leads(user, *, team: bool = False) -> QuerySet:
    """The leads a user's board shows: their own, with the unowned sales-ready pool for a
    salesperson (the leads they may claim); everyone's when `team` and they may see the team."""
    leads = visible_leads(user).select_related(None)
    if team and may_see_the_team(user):
        return leads
    mine = Q(owner=user)
    if has_role(user, Role.SALES):
        mine |= Q(owner__isnull=True, stage=Stage.SALES_READY)
    return leads.filter(mine)


def _column(key: str, label: str, leads: QuerySet, figures: dict, *, limit: int, order: tuple) -> dict:
    cards = list(leads.select_related("contact__company", "owner").only(*BOARD_CARD_FIELDS).order_by(*order)[:limit])
    return {"stage": key, "label": label, "cards": cards, **figures}


def board(leads: QuerySet, *, won_since, limit: int = BOARD_CARDS) -> list[dict]:
    """The pipeline board over `leads` (see board_leads): a column per open stage (inquiry,
    sales-ready, unclosed) and one for the leads won since `won_since`, each with its count, the
    total of its estimated values (the won amounts, for won), how many have no estimate, and its
    top `limit` cards (by score; the latest sales first). One aggregate query and one query per
    column, whatever the size of the book."""
    won = Q(stage__in=[Stage.WON, Stage.CUSTOMER], closed_at__gte=won_since)
    pool = Q(stage=Stage.SALES_READY, owner__isnull=True)
    figures = {}
    for stage in WORKED_STAGES:
        at = Q(stage=stage)
        figures[f"{stage}_count"] = Count("id", filter=at)
        figures[f"{stage}_value"] = Sum("estimated_value", filter=at)
        figures[f"{stage}_unestimated"] = Count("id", filter=at & Q(estimated_value__isnull=True))
    totals = leads.aggregate(
        **figures,
        pool_count=Count("id", filter=pool),
        pool_value=Sum("estimated_value", filter=pool),
        won_count=Count("id", filter=won),
        won_value=Sum("won_amount", filter=won),
    )
    columns = []
    for stage in WORKED_STAGES:
        column_figures = {
            "count": totals[f"{stage}_count"],
            "value": totals[f"{stage}_value"] or 0,
            "unestimated": totals[f"{stage}_unestimated"],
        }
        if stage == Stage.SALES_READY:
            column_figures.update(pool_count=totals["pool_count"], pool_value=totals["pool_value"] or 0)
        columns.append(
            _column(
                stage,
                Stage(stage).label,
                leads.filter(stage=stage),
                column_figures,
                limit=limit,
                order=("-score", "id"),
            )
        )
    won_figures = {"count": totals["won_count"], "value": totals["won_value"] or 0, "unestimated": 0}
    columns.append(_column(Stage.WON, "Won", leads.filter(won), won_figures, limit=limit, order=("-closed_at", "-id")))
    return columns


def board_moves(user, lead) -> list[str]:
    """Where `user` may move `lead`'s card (the services decide again, under the lead's lock):
    an inquiry or unclosed lead to sales-ready (marketing and managers any, a salesperson their
    own, and only if it qualifies); an open lead to won, unclosed or dead by its salesperson or a
    manager. A card in the pool is claimed, not moved, and a won card stays."""
    if lead.stage not in WORKED_STAGES:
        return []
    is_manager = has_role(user, Role.MANAGER)
    closes = is_manager or (has_role(user, Role.SALES) and lead.owner_id == user.pk)
    moves = []
    if lead.stage in (Stage.INQUIRY, Stage.UNCLOSED) and (closes or has_role(user, Role.MARKETING)):
        moves.append(Stage.SALES_READY)
    if closes:
        moves += [stage for stage in (Stage.WON, Stage.UNCLOSED, Stage.DEAD) if stage != lead.stage]
    return moves
