"""Reading what prospects did: "since our last contact" for a lead, the e-mails sent to a lead's
contact with what became of each, and the counts per letter batch and offer for the reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db.models import Sum
from django.utils import timezone

from leads.kinds import EMAIL_SENT_KEY, InteractionKind
from leads.models import Interaction
from outbox.models import Email
from tracking import links
from tracking.models import LeadActivity, Purpose, Scope, Tally, TrackedLink

ENGAGEMENT_FIELDS = ("opens", "machine_opens", "clicks", "scans", "forwards", "visits", "pages", "seconds")


@dataclass(frozen=True)
class Engagement:
    since: datetime | None
    opens: int = 0
    machine_opens: int = 0
    clicks: int = 0
    scans: int = 0
    forwards: int = 0
    visits: int = 0
    pages: int = 0
    seconds: int = 0

    @property
    def any(self) -> bool:
        return any(getattr(self, name) for name in ENGAGEMENT_FIELDS if name != "machine_opens")

    def as_dict(self) -> dict:
        return asdict(self)


def since_last_contact(lead) -> datetime | None:
    """Our last contact with the prospect (a call or meeting logged); None when nobody has called
    yet: then everything counts, the visits they made before they sent the form included."""
    return lead.last_contacted_at


def engagement(lead, since: datetime | None = None) -> Engagement:
    """What the prospect did since `since` (our last contact by default), to the hour: one
    indexed sum over the lead's hourly rows, however many hits they made."""
    since = since or since_last_contact(lead)
    rows = LeadActivity.objects.filter(lead_id=lead.pk)
    if since is not None:
        rows = rows.filter(hour__gte=since.replace(minute=0, second=0, microsecond=0))
    sums = rows.aggregate(**{name: Sum(name) for name in ENGAGEMENT_FIELDS})
    return Engagement(since=since, **{name: sums[name] or 0 for name in ENGAGEMENT_FIELDS})


def recent_engagement(lead_ids: list[int], days: int = 7) -> dict[int, Engagement]:
    """The last `days` of engagement of many leads (the queue's column): one query."""
    since = timezone.now() - timedelta(days=days)
    rows = (
        LeadActivity.objects.filter(lead_id__in=lead_ids, hour__gte=since)
        .values("lead_id")
        .annotate(**{f"sum_{name}": Sum(name) for name in ENGAGEMENT_FIELDS})
    )
    return {
        row["lead_id"]: Engagement(since=since, **{name: row[f"sum_{name}"] or 0 for name in ENGAGEMENT_FIELDS})
        for row in rows
    }


@dataclass(frozen=True)
class SentEmail:
    id: int
    key: str
    subject: str
    sent_at: datetime | None
    links: list[str]
    open_url: str
    unsubscribe_url: str | None
    human_opens: int
    machine_opens: int
    clicks: int
    marketing: bool


def emails_of(lead) -> list[SentEmail]:
    """The e-mails sent to a lead, newest first, each with its tracked addresses and counts: the
    tracked ones (a letter's, one to a contact who agreed to marketing) and the untracked ones
    written from the lead page (no open image: `open_url` empty, the counts 0)."""
    rows = TrackedLink.objects.filter(lead_id=lead.pk).exclude(email_key="").values_list("pk", "purpose", "email_key")
    by_key: dict[str, dict] = {
        f"{EMAIL_SENT_KEY}{pk}": {"links": [], "open": "", "forward": False}
        for pk in Interaction.objects.filter(lead_id=lead.pk, kind=InteractionKind.EMAIL_SENT).values_list(
            "pk", flat=True
        )
    }
    for pk, purpose, key in rows:
        entry = by_key.setdefault(key, {"links": [], "open": "", "forward": False})
        if purpose == Purpose.CLICK:
            entry["links"].append(links.address_of(pk, purpose))
        elif purpose == Purpose.OPEN:
            entry["open"], entry["open_id"] = links.address_of(pk, purpose), pk
        elif purpose == Purpose.FORWARD:
            entry["forward"] = True
    tallies = {tally.ref: tally for tally in Tally.objects.filter(scope=Scope.EMAIL, ref__in=list(by_key))}
    found = []
    for email in Email.objects.filter(key__in=list(by_key)).order_by("-created_at", "-id"):
        entry, tally = by_key[email.key], tallies.get(email.key)
        found.append(
            SentEmail(
                id=email.pk,
                key=email.key,
                subject=email.subject,
                sent_at=email.sent_at,
                links=entry["links"],
                open_url=entry["open"],
                unsubscribe_url=_unsubscribe_url(entry),
                human_opens=tally.human_opens if tally else 0,
                machine_opens=tally.machine_opens if tally else 0,
                clicks=tally.clicks if tally else 0,
                marketing=entry["forward"],
            )
        )
    return found


def _unsubscribe_url(entry: dict) -> str | None:
    """A marketing e-mail's (one with a forward form) unsubscribe address; None for the others."""
    if not entry["forward"] or "open_id" not in entry:
        return None
    return links.unsubscribe_address(entry["open_id"])


def tally_of(scope: str, refs: list[str]) -> dict:
    """The counts summed over some e-mails, letters or offers (a batch is its letters)."""
    sums = Tally.objects.filter(scope=scope, ref__in=refs).aggregate(
        human_opens=Sum("human_opens"),
        machine_opens=Sum("machine_opens"),
        clicks=Sum("clicks"),
        machine_clicks=Sum("machine_clicks"),
        scans=Sum("scans"),
        forwards=Sum("forwards"),
    )
    return {name: value or 0 for name, value in sums.items()}
