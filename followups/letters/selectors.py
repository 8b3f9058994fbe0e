"""Reads for letters: who a template's batch goes to, a letter by its code, a batch's report."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from campaigns.selectors import in_segment
from followups.models import Letter, LetterBatch, LetterStatus, LetterTemplate
from leads.kinds import Stage
from leads.models import Lead
from outbox.selectors import email_sent
from tracking.models import Scope
from tracking.selectors import tally_of

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read off paper over the phone
CODE_LENGTH = 8
ARTICLE_CONVERSION = 0.04  # seed 000: "their average sales rate from sending it is 4%"
_CODE_TEXT = re.compile(r"[\s\-]")
EMAIL_KEY = "letter:"  # a letter's e-mail is keyed letter:<letter id> in the outbox


def eligible_leads(template: LetterTemplate, *, unclosed_days: int, at: datetime) -> QuerySet[Lead]:
    """Leads a batch of `template` taken at `at` goes to: unclosed for at least `unclosed_days`,
    not do-not-contact, not sent this template within its resend window, and in the template's
    campaign segment when it has one."""
    recently_sent = Letter.objects.filter(
        lead=OuterRef("pk"),
        template=template,
        sent_at__gte=at - timedelta(days=template.resend_after_days),
    ).exclude(status=LetterStatus.CANCELLED)
    leads = (
        Lead.objects.filter(stage=Stage.UNCLOSED, closed_at__lte=at - timedelta(days=unclosed_days))
        .filter(contact__do_not_contact=False)
        .exclude(Exists(recently_sent))
    )
    if template.campaign_id and template.campaign.segment:
        leads = in_segment(leads, template.campaign.segment)
    return leads


def first_reader(template: LetterTemplate, *, unclosed_days: int | None = None):
    """The first lead a batch of `template` would reach now (None when nobody fits): whom the
    previews render the letter for."""
    days = template.unclosed_days if unclosed_days is None else unclosed_days
    leads = eligible_leads(template, unclosed_days=days, at=timezone.now())
    return leads.select_related("contact__company", "owner").order_by("pk").first()


def normalize_code(text: str) -> str:
    """A response code as typed: any case, with or without its dash or spaces."""
    code = _CODE_TEXT.sub("", (text or "").strip().upper())
    return code if len(code) == CODE_LENGTH and all(c in CODE_ALPHABET for c in code) else ""


def letter_by_code(text: str) -> Letter | None:
    code = normalize_code(text)
    if not code:
        return None
    return Letter.objects.select_related("lead__contact", "batch", "template").filter(code=code).first()


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float] | None:
    """The 95% confidence interval of a rate (Wilson score): honest for small batches and rates
    near 0, where the usual ±1.96·√(p(1−p)/n) gives nonsense."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def with_emailed(letters: QuerySet[Letter]) -> QuerySet[Letter]:
    """The letters, each with `emailed`: its e-mail went out (the outbox sent it). A letter
    whose e-mail waits, was given up, or was never written (no address or consent) is not."""
    return letters.annotate(emailed=email_sent(EMAIL_KEY))


# What prospects did with a batch's letters and e-mails (tracking.fold counts them): opens by a
# person, opens by privacy proxies and mail scanners (never scored), clicks, QR scans, forwards.
ENGAGEMENT_COUNTS = ("human_opens", "machine_opens", "clicks", "scans", "forwards")


def batch_report(batch: LetterBatch) -> dict:
    """Letters sent, e-mailed, failed, what prospects did with them (ENGAGEMENT_COUNTS), responses,
    leads sales-ready after their letter, sales and revenue of a batch, and its
    conversion rate (sales ÷ letters sent) with its 95% interval beside the article's 4%.
    A sale counts when the lead was won after its letter went out; a letter counts as e-mailed
    once its e-mail was sent, not when it was queued."""
    letters = Letter.objects.filter(batch=batch)
    sent = letters.filter(status=LetterStatus.SENT)
    won = sent.filter(lead__stage__in=[Stage.WON, Stage.CUSTOMER], lead__closed_at__gte=F("sent_at"))
    counts = {
        "sent": sent.count(),
        "emailed": sent.filter(email_sent(EMAIL_KEY)).count(),
        "failed": letters.filter(status=LetterStatus.FAILED).count(),
        "responses": sent.filter(responded_at__isnull=False).count(),
        "won": won.count(),
    }
    counts["sales_ready"] = sent.filter(lead__sales_ready_at__gte=F("sent_at")).count()
    revenue = won.aggregate(total=Sum("lead__won_amount"))["total"]
    interval = wilson_interval(counts["won"], counts["sent"])
    engagement = tally_of(Scope.LETTER, sent.annotate(ref=Cast("pk", CharField())).values("ref"))
    return {
        **counts,
        **{name: engagement[name] for name in ENGAGEMENT_COUNTS},
        "revenue": f"{revenue or 0:.2f}",
        "response_rate": round(counts["responses"] / counts["sent"], 4) if counts["sent"] else None,
        "conversion_rate": round(counts["won"] / counts["sent"], 4) if counts["sent"] else None,
        "conversion_interval": [round(interval[0], 4), round(interval[1], 4)] if interval else None,
        "article_conversion_rate": ARTICLE_CONVERSION,
    }


def running_batch(template: LetterTemplate) -> LetterBatch | None:
    return (
        LetterBatch.objects.filter(template=template)
        .filter(Q(job__status__in=["queued", "running"]) | Q(job__isnull=True))
        .first()
    )


def running_batches() -> list[LetterBatch]:
    """The letter batches being sent now, oldest first, with their job (the progress bar's)."""
    return list(
        LetterBatch.objects.filter(job__status__in=["queued", "running"])
        .select_related("job", "template")
        .order_by("created_at", "id")
    )
