"""Reads of follow-ups: whose they are, and a person's day (today, overdue, upcoming)."""

from datetime import timedelta

from django.db.models import Q, QuerySet
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
    now = timezone.localtime(now or timezone.now())
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    end_of_day = start_of_day + timedelta(days=1)
    mine = (
        visible_followups(user)
        .filter(status__in=OPEN_FOLLOWUP_STATUSES)
        .filter(Q(assignee=user) | Q(assignee__isnull=True, pool__in=roles_of(user)))
        .select_related("lead__contact__company", "assignee")
        .order_by("due_at", "id")
    )
    return {
        "overdue": list(mine.filter(due_at__lt=start_of_day)[:200]),
        "today": list(mine.filter(due_at__gte=start_of_day, due_at__lt=end_of_day)[:200]),
        "upcoming": list(mine.filter(due_at__gte=end_of_day, due_at__lt=end_of_day + timedelta(days=14))[:200]),
    }


def lead_followups(lead) -> list[FollowUp]:
    return list(lead.followups.select_related("assignee", "completed_by").order_by("-due_at", "-id")[:50])
