"""The demo's prospects doing things between calls: an e-mail a salesperson sent, opened first by
Apple's privacy proxy (a machine: counted apart, never scored), then by the person, who clicks
its link and reads three pages of the site. The hits go in as the doors append them and the fold
(tracking.fold) turns them into interactions and a score, as the worker would.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from demo.history import happened_at
from followups.letters.emails import email_lead
from leads.models import Lead
from outbox.services import send_email
from tracking import hits, machines
from tracking.fold import fold_all
from tracking.models import Purpose, SiteKey, TrackedLink, hash_site_key
from tracking.visitors import identify

DEMO_SITE_KEY = "sk_demo_local_only_do_not_use_in_production"
DEMO_SITE = "https://www.example.com"
BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15"
PAGE = f"{DEMO_SITE}/spring-tune-up"


def site_key(origins: list[str]) -> SiteKey:
    """The demo's key for the website script, allowed on the demo site and on the product itself."""
    key, _ = SiteKey.objects.get_or_create(
        name="demo site",
        defaults={"prefix": DEMO_SITE_KEY[:10], "key_hash": hash_site_key(DEMO_SITE_KEY), "allowed_origins": []},
    )
    missing = [origin for origin in [DEMO_SITE, *origins] if origin not in key.allowed_origins]
    if missing:
        key.allowed_origins = [*key.allowed_origins, *missing]
        key.save(update_fields=["allowed_origins"])
    return key


def email_opened_and_clicked(lead: Lead, *, by, sent_at: datetime) -> None:
    """`by` e-mails the lead's contact (sent through the outbox at once), then the hits come in:
    the privacy proxy two seconds after sending, the person hours later: an open, a click, and
    three pages of the site over eight minutes."""
    with happened_at(sent_at):
        sent = email_lead(
            lead_id=lead.pk,
            by=by,
            subject="What the spring tune-up covers",
            text="Hi {{ first_name }},\n\nHere is what the tune-up covers and what it costs: "
            f"{PAGE}\n\nCall us when you have had a look.",
        )
        send_email(sent.email_id)  # the outbox sends it (to var/mail/ under make run)
    opened = TrackedLink.objects.get(email_key__endswith=f":{sent.interaction.pk}", purpose=Purpose.OPEN)
    clicked = TrackedLink.objects.get(email_key=opened.email_key, purpose=Purpose.CLICK)
    key = site_key([])
    seen = sent_at + timedelta(hours=3)

    def hit(kind, at, agent=BROWSER, **fields):
        hits.record(kind=kind, at=at, agent=agent, network="198.51.100.0", machine=machines.judge(agent, ""), **fields)

    hit("open", sent_at + timedelta(seconds=2), agent=machines.APPLE_PRIVACY_PROXY, link_id=opened.pk)
    hit("open", seen, link_id=opened.pk)
    hit("click", seen + timedelta(seconds=40), link_id=clicked.pk)
    visitor = f"demo{lead.pk:012d}"
    identify(visitor, lead)
    for minute, page, seconds in ((1, PAGE, 150), (4, f"{DEMO_SITE}/pricing", 200), (8, f"{DEMO_SITE}/book", 90)):
        at = seen + timedelta(minutes=minute)
        hit("view", at, visitor=visitor, url=page, site_key_id=key.pk)
        hit("leave", at + timedelta(seconds=seconds), visitor=visitor, url=page, seconds=seconds, site_key_id=key.pk)
    fold_all()
