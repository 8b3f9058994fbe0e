"""Reads of leads: who may see which, and the lead list with its filters."""

import base64
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from config.ids import parse_id, parse_int
from config.times import in_utc
from crm.roles import Role, has_role
from leads.kinds import Stage
from leads.models import Lead


def sees_every_lead(user) -> bool:
    return has_role(user, Role.MANAGER, Role.CSR, Role.MARKETING)


def visible_leads(user) -> QuerySet[Lead]:
    """The leads a user may see: everyone's for CSR, Marketing and Manager; for Sales only
    their own leads and the unassigned sales-ready pool (sales does not touch inquiries).
    Every page and endpoint that shows or changes a lead starts from this."""
    leads = Lead.objects.select_related("contact__company", "owner", "offer", "campaign")
    if sees_every_lead(user):
        return leads
    if has_role(user, Role.SALES):
        return leads.filter(Q(owner=user) | Q(owner__isnull=True, stage=Stage.SALES_READY))
    return leads.none()


def _links(metadata) -> tuple[list[int], int | None]:
    """The lead ids an interaction's metadata names (a follow-up's referrals, a referral's
    referrer), ignoring anything else a client may have put there."""
    metadata = metadata if isinstance(metadata, dict) else {}
    referrals = metadata.get("referrals")
    referrer = metadata.get("referrer_lead")
    ids = (
        [i for i in referrals if isinstance(i, int) and not isinstance(i, bool)] if isinstance(referrals, list) else []
    )
    return ids, referrer if isinstance(referrer, int) and not isinstance(referrer, bool) else None


def lead_timeline(lead: Lead) -> list[dict]:
    """Everything that happened to the lead, newest first, as one list: interactions (follow-up
    calls with their answers and referrals, and the referral that brought the lead), letters
    sent, offers redeemed, claims, hand-overs and their acceptance, stage and score changes."""
    entries = [
        {"at": i.occurred_at, "type": "interaction", "item": i}
        for i in lead.interactions.select_related("author", "offer")
    ]
    links = {id(entry): _links(entry["item"].metadata) for entry in entries}
    linked = Lead.objects.select_related("contact").in_bulk(
        {i for referrals, referrer in links.values() for i in [*referrals, referrer] if i is not None}
    )
    for entry in entries:
        referrals, referrer = links[id(entry)]
        if entry["item"].kind == "follow_up":
            answers = (entry["item"].metadata or {}).get("answers")
            entry["followup_answers"] = [a for a in answers if isinstance(a, dict)] if isinstance(answers, list) else []
            entry["referrals"] = [linked[i] for i in referrals if i in linked]
        elif entry["item"].kind == "referral" and referrer in linked:
            entry["referrer"] = linked[referrer]
    entries += [
        {"at": letter.sent_at, "type": "letter", "item": letter} for letter in lead.letters.select_related("template")
    ]
    entries += [
        {"at": c.changed_at, "type": "stage", "item": c} for c in lead.stage_changes.select_related("changed_by")
    ]
    entries += [{"at": c.changed_at, "type": "score", "item": c} for c in lead.score_changes.all()]
    entries += _ownership_entries(lead)
    entries += [
        {"at": r.redeemed_at, "type": "redemption", "item": r}
        for r in lead.redemptions.select_related("offer", "redeemed_by")
    ]
    # Newest first; what happened in one transaction reads in the order it was done.
    entries.sort(key=lambda entry: (entry["at"], TIMELINE_ORDER[entry["type"]]), reverse=True)
    return entries


# Within one instant: the call, then the score it moved, the stage that followed, the hand-over.
TIMELINE_ORDER = {"interaction": 0, "letter": 0, "redemption": 1, "score": 2, "stage": 3, "handover": 4, "accepted": 5}


def _ownership_entries(lead: Lead) -> list[dict]:
    """Claims, hand-overs (and who had the lead before), take-backs, and each acceptance."""
    entries = []
    for handover in lead.handovers.select_related("from_user", "to_user"):
        entries.append({"at": handover.at, "type": "handover", "item": handover})
        if handover.accepted_at and handover.kind == handover.Kind.HANDOVER:
            entries.append({"at": handover.accepted_at, "type": "accepted", "item": handover})
    return entries


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
    from leads.sales import pool

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
    from django.db.models import Avg, Count

    from leads.models import LeadFeedback

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
