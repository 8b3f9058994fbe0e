"""Giving the demo book a past: what the services did a moment ago, moved to the day it happened.

Every demo lead is made through the services, which stamp what they write with the present
moment. A demo whose leads all arrived "6 minutes ago" yet were last active "2 weeks ago" reads
as nonsense, so each step of a lead's story runs inside `happened_at(when)`: the services run as
usual, at the present moment, and on leaving the block every timestamp they wrote (those at or
after the moment the block began) moves back by the same amount, so the step's rows keep their
order among themselves and land at `when`. Only timestamps are written here, plus the two
durations computed from them (a closed lead's sales cycle, a hot lead's response time); scores,
temperatures and stages are the services' alone.

A score depends on the time since the last activity (recency decay), so once the history is
dated back the stored scores are those of the day each step happened; the demo then runs the
daily decay (`leads.rescore.apply_decay`, through `leads.scores`) to bring them to today, as
the beat would have done over those weeks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db.models import F
from django.utils import timezone

from campaigns.models import Campaign, Offer, Redemption
from crm.models import Company, Contact
from followups.models import FollowUp
from leads.models import Handover, Interaction, Lead, LeadFeedback, StageChange
from leads.scores import forget_tallies
from leads.services import CONTACT_KINDS
from notifications.models import Notification
from outbox.models import Email
from scoring.models import ScoreChange
from tracking.models import TrackedLink

# Every timestamp a service may write while a demo lead's story runs. An offer's deadline and
# start are chosen by the demo itself, so they are not here.
STAMPS = (
    (
        Lead,
        (
            "created_at",
            "inquired_at",
            "last_activity_at",
            "last_contacted_at",
            "sales_ready_at",
            "handed_over_at",
            "owner_accepted_at",
            "closed_at",
            "hot_since",
            "first_hot_at",
            "alerted_at",
            "score_computed_at",
        ),
    ),
    (Interaction, ("occurred_at", "created_at")),
    (StageChange, ("changed_at",)),
    (ScoreChange, ("changed_at",)),
    (Handover, ("at", "accepted_at")),
    (LeadFeedback, ("created_at",)),
    (FollowUp, ("created_at", "notified_at", "overdue_alerted_at", "completed_at")),
    (Notification, ("created_at",)),
    (Redemption, ("redeemed_at",)),
    (Contact, ("created_at", "updated_at")),
    (Company, ("created_at",)),
    (Campaign, ("created_at",)),
    (Offer, ("created_at", "launched_at")),
    (Email, ("created_at", "claimed_at", "sent_at")),
    (TrackedLink, ("created_at",)),
)


@contextmanager
def happened_at(when: datetime) -> Iterator[None]:
    """Run the block's services now, then date what they wrote back to `when` (see the module)."""
    began = timezone.now()
    yield
    shift = began - when
    if shift.total_seconds() <= 0:
        return
    # Their score tallies hold the answers' times as logged, and a closing tally what came before
    # the close as it was logged: counted again at the next rescore (analysis reads them meanwhile).
    logged = set(Interaction.objects.filter(created_at__gte=began).values_list("lead_id", flat=True))
    forget_tallies(logged | set(Lead.objects.filter(closed_at__gte=began).values_list("pk", flat=True)))
    # A follow-up planned in this step is due as long after the step as the script says.
    FollowUp.objects.filter(created_at__gte=began).update(due_at=F("due_at") - shift)
    for model, fields in STAMPS:
        for name in fields:
            model.objects.filter(**{f"{name}__gte": began}).update(**{name: F(name) - shift})
    _recount_durations(began - shift)


def _recount_durations(since: datetime) -> None:
    """The durations a step computed from a timestamp of an earlier step (already in the past)
    and one of its own (still the present then): counted again from the dated timestamps."""
    for lead in Lead.objects.filter(closed_at__gte=since).only("pk", "created_at", "closed_at"):
        Lead.objects.filter(pk=lead.pk).update(sales_cycle_days=(lead.closed_at - lead.created_at).days)
    hot = Lead.objects.filter(
        last_contacted_at__gte=since, first_hot_at__isnull=False, hot_response_seconds__isnull=False
    )
    for lead in hot.only("pk", "first_hot_at"):
        first_contact = (
            Interaction.objects.filter(
                lead=lead, author__isnull=False, kind__in=list(CONTACT_KINDS), occurred_at__gte=lead.first_hot_at
            )
            .order_by("occurred_at")
            .values_list("occurred_at", flat=True)
            .first()
        )
        if first_contact is not None:
            seconds = int((first_contact - lead.first_hot_at).total_seconds())
            Lead.objects.filter(pk=lead.pk).update(hot_response_seconds=seconds)
