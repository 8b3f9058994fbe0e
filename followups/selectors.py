"""Reads of follow-ups: whose they are, and a person's day (today, overdue, upcoming)."""

from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from crm.roles import roles_of
from followups.models import OPEN_FOLLOWUP_STATUSES, FollowUp
from leads.selectors import sees_every_lead, visible_leads


def visible_followups(user) -> QuerySet[FollowUp]:
    """The follow-ups on leads the user may see (leads.selectors.visible_leads)."""
    followups = FollowUp.objects.all()
    if sees_every_lead(user):
        return followups
    return followups.filter(lead__in=visible_leads(user).values("pk"))


def my_followups(user, *, now=None) -> dict[str, list[FollowUp]]:
    """What a person has to do: their own open follow-ups and their roles' pools, as
    overdue (due before today), today, and upcoming (the next 14 days)."""
    start_of_day, end_of_day = _today(now)
    mine = _open_for(user).select_related("lead__contact__company", "assignee").order_by("due_at", "id")
    return {
        "overdue": list(mine.filter(due_at__lt=start_of_day)[:200]),
        "today": list(mine.filter(due_at__gte=start_of_day, due_at__lt=end_of_day)[:200]),
        "upcoming": list(mine.filter(due_at__gte=end_of_day, due_at__lt=end_of_day + timedelta(days=14))[:200]),
    }


def _today(now=None):
    """The start and the end of today, in the current time zone (the user's, during a request)."""
    now = timezone.localtime(now or timezone.now())
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return start_of_day, start_of_day + timedelta(days=1)


def _open_for(user) -> QuerySet[FollowUp]:
    """A person's open follow-ups: assigned to them, or waiting in one of their roles' pools."""
    return (
        visible_followups(user)
        .filter(status__in=OPEN_FOLLOWUP_STATUSES)
        .filter(Q(assignee=user) | Q(assignee__isnull=True, pool__in=roles_of(user)))
    )


def due_today(user, *, now=None, limit: int = 8) -> dict:
    """The home page's "callbacks due": how many of a person's follow-ups are overdue and how many
    fall due later today, and the first `limit` of them, soonest first. Two queries however long
    the list is (the whole list is "My follow-ups")."""
    start_of_day, end_of_day = _today(now)
    due = _open_for(user).filter(due_at__lt=end_of_day)
    counts = due.aggregate(overdue=Count("id", filter=Q(due_at__lt=start_of_day)), total=Count("id"))
    rows = list(due.select_related("lead__contact").order_by("due_at", "id")[:limit])
    for followup in rows:
        followup.overdue = followup.due_at < start_of_day
    return {"overdue": counts["overdue"], "today": counts["total"] - counts["overdue"], "rows": rows}


def due_per_person(user_ids, *, now=None) -> dict:
    """Open follow-ups whose time has come, per assignee id, and per pool (the role's name) for
    those nobody has taken yet: a manager's view of each person's load, in one grouped query."""
    rows = (
        FollowUp.objects.filter(status__in=OPEN_FOLLOWUP_STATUSES, due_at__lte=now or timezone.now())
        .filter(Q(assignee_id__in=list(user_ids)) | Q(assignee__isnull=True))
        .values("assignee_id", "pool")
        .annotate(due=Count("id"))
        .order_by()
    )
    load: dict = {}
    for row in rows:
        key = row["assignee_id"] if row["assignee_id"] is not None else row["pool"] or None
        if key is not None:
            load[key] = load.get(key, 0) + row["due"]
    return load


def lead_followups(lead) -> list[FollowUp]:
    return list(lead.followups.select_related("assignee", "completed_by").order_by("-due_at", "-id")[:50])
