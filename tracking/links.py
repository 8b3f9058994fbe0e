"""Tracked addresses: written with the e-mail or letter they are in, read by the doors.

Every http(s) address in an e-mail to a prospect becomes {base}/t/<token>, each e-mail carries
an open image ({base}/o/<token>) and, for marketing, a "pass it on" link to the forward form
({base}/f/<token>); each printed letter a QR code of its own {base}/t/<token>. The destination
is stored on the link row, written only from what staff wrote or set (a template's text, an
offer's landing page, CRM_TRACKING_LANDING_URL): a token cannot point anywhere else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from config import bulk
from config.text import URL, as_html
from tracking import tokens
from tracking.models import Purpose, TrackedLink

FORWARD_LINE = "Know someone who could use this? Pass it on: {url}"
UNSUBSCRIBE_LINE = "No more e-mails like this one? Unsubscribe: {url}"
# Where an e-mail's writer wants its forward form (a referral request: "{{ referral_link }}");
# without it the form's address goes on a line of its own at the end.
FORWARD_HERE = "\x00forward\x00"


def address(link_id: int, door: str) -> str:
    return f"{settings.CRM_BASE_URL}/{door}/{tokens.make(link_id, door)}"


FOLLOWED = (Purpose.CLICK, Purpose.SCAN)  # the purposes /t/ leads somewhere for
DOORS = {Purpose.OPEN: tokens.OPEN, Purpose.FORWARD: tokens.FORWARD}  # a link or a QR code: /t/


def address_of(link_id: int, purpose: str) -> str:
    """A link's tracked address at the door its purpose opens."""
    return address(link_id, DOORS.get(purpose, tokens.CLICK))


def link_address(link: TrackedLink) -> str:
    """The row's tracked address: /t/ for a link or a QR code, /o/ for an open image, /f/ for a forward form."""
    return address_of(link.pk, link.purpose)


def unsubscribe_address(open_link_id: int) -> str:
    """A marketing e-mail's unsubscribe address: its open image's id, signed for the "u" door.
    Nothing else about the person is in it; the e-mail's lead says whose consent it withdraws."""
    return address(open_link_id, tokens.UNSUBSCRIBE)


def landing_url(offer=None) -> str:
    """Where a scan of a letter's QR code goes: the offer's landing page, else the company's."""
    if offer is not None and offer.landing_url:
        return offer.landing_url
    return settings.CRM_TRACKING_LANDING_URL


CACHE_SECONDS = 60
CACHE_SIZE = 65_536
_cache: dict[int, tuple[float, tuple[str, str] | None]] = {}


def destination(link_id: int) -> tuple[str, str] | None:
    """(purpose, url) of a link, or None when there is no such link (any more). Each process
    keeps what it read for CACHE_SECONDS: a link erased with its contact, or an offer's address
    moved to a new landing page, is seen within a minute (and the fold records nothing for a link
    that is gone)."""
    now = time.monotonic()
    cached = _cache.get(link_id)
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    followed = TrackedLink.objects.filter(pk=link_id, purpose__in=FOLLOWED)  # an open image or a form is no link
    row = followed.values_list("purpose", "url").first()
    if len(_cache) >= CACHE_SIZE:
        _cache.clear()
    _cache[link_id] = (now, tuple(row) if row else None)
    return _cache[link_id][1]


def forget() -> None:
    """Drop this process's remembered destinations (tests: ids come back after a rollback)."""
    _cache.clear()


def urls_in(text: str) -> frozenset[str]:
    """The http(s) addresses written in a text."""
    return frozenset(match.group(0) for match in URL.finditer(text or ""))


@dataclass
class Draft:
    """An e-mail about to be queued, to be tracked: its outbox key, its lead, its text (merge
    fields filled in) and `destinations`, the addresses its writer wrote (in the text before the
    merge): only those are tracked. An address that came in with a merged value (a name typed as
    "https://…" in a web form) stays plain text, never a tracked link or a link at all."""

    key: str
    lead_id: int
    text: str
    destinations: frozenset[str]
    letter_id: int | None = None
    offer_id: int | None = None
    marketing: bool = True


@dataclass(frozen=True)
class Tracked:
    text: str
    html: str
    unsubscribe_url: str = ""  # a marketing e-mail's: its last line, and its List-Unsubscribe header


def track_emails(drafts: list[Draft]) -> list[Tracked]:
    """Write the tracked links of many e-mails in one INSERT and return each e-mail's text and
    HTML with its addresses tracked, its open image and, for marketing, its forward link (where
    the text has FORWARD_HERE, else on a line of its own) and its unsubscribe link, last. The
    rows go in as plain values (config.bulk): a model instance a link cost more than the rest."""
    rows: list[tuple] = []
    plans = []
    now = timezone.now()
    for draft in drafts:
        found = (match.group(0) for match in URL.finditer(draft.text))
        urls = [url for url in dict.fromkeys(found) if url in draft.destinations]
        common = (draft.lead_id, draft.key, draft.letter_id, draft.offer_id, now)
        plans.append((draft, urls, len(rows)))
        rows += [(Purpose.CLICK.value, url[:1000], *common) for url in urls]
        rows.append((Purpose.OPEN.value, "", *common))
        if draft.marketing:
            rows.append((Purpose.FORWARD.value, "", *common))
    columns = ("purpose", "url", "lead_id", "email_key", "letter_id", "offer_id", "created_at")
    ids = bulk.insert_returning(TrackedLink, columns, rows)
    tracked = []
    for draft, urls, first in plans:
        swap = {url: address_of(ids[first + i], Purpose.CLICK) for i, url in enumerate(urls)}
        text = URL.sub(lambda match, swap=swap: swap.get(match.group(0), match.group(0)), draft.text)
        ours = frozenset(swap.values())
        opened = ids[first + len(urls)]
        unsubscribe = ""
        if draft.marketing:
            forward = address_of(ids[first + len(urls) + 1], Purpose.FORWARD)
            if FORWARD_HERE in text:
                text = text.replace(FORWARD_HERE, forward)
            else:
                text += "\n\n" + FORWARD_LINE.format(url=forward)
            unsubscribe = unsubscribe_address(opened)
            text += "\n\n" + UNSUBSCRIBE_LINE.format(url=unsubscribe)
            ours |= {forward, unsubscribe}
        image = f'<img src="{address_of(opened, Purpose.OPEN)}" width="1" height="1" alt="">'
        tracked.append(Tracked(text=text, html=as_html(text, links=ours) + image, unsubscribe_url=unsubscribe))
    return tracked


def letter_links(letters: list, *, offer=None, destinations: frozenset[str] = frozenset()) -> None:
    """The tracked addresses printed on letters, in one INSERT: each letter's QR code (to the
    offer's landing page, else the company's), its forward form, and each address of its text
    that its template wrote (`destinations`: see Draft)."""
    offer_id = offer.pk if offer is not None else None
    rows = []
    for letter in letters:
        common = {"lead_id": letter.lead_id, "letter_id": letter.pk, "offer_id": offer_id}
        rows.append(TrackedLink(purpose=Purpose.SCAN, url=landing_url(offer), **common))
        rows.append(TrackedLink(purpose=Purpose.FORWARD, **common))
        for url in dict.fromkeys(match.group(0) for match in URL.finditer(letter.text or "")):
            if url in destinations:
                rows.append(TrackedLink(purpose=Purpose.CLICK, url=url[:1000], **common))
    TrackedLink.objects.bulk_create(rows)


@dataclass(frozen=True)
class Printed:
    """What a printed letter shows of its tracked addresses."""

    qr_url: str = ""
    forward_url: str = ""
    links: dict = None  # the address in the text → its tracked address

    def text(self, text: str) -> str:
        links = self.links or {}
        return URL.sub(lambda match: links.get(match.group(0), match.group(0)), text or "")


def printed(letter_ids: list[int]) -> dict[int, Printed]:
    """The printed addresses of many letters, in one query: {letter id: Printed}."""
    found: dict[int, dict] = {}
    rows = TrackedLink.objects.filter(letter_id__in=letter_ids, email_key="").values_list(
        "letter_id", "purpose", "pk", "url"
    )
    for letter_id, purpose, pk, url in rows.order_by("pk"):
        entry = found.setdefault(letter_id, {"qr_url": "", "forward_url": "", "links": {}})
        if purpose == Purpose.SCAN:
            entry["qr_url"] = address_of(pk, purpose)
        elif purpose == Purpose.FORWARD:
            entry["forward_url"] = address_of(pk, purpose)
        elif purpose == Purpose.CLICK:
            entry["links"][url] = address_of(pk, purpose)
    return {letter_id: Printed(**entry) for letter_id, entry in found.items()}


def offer_link(offer) -> str:
    """The tracked address to print on an offer's ads (to its landing page), made once and kept
    pointing where the offer's landing page is."""
    link = TrackedLink.objects.filter(offer=offer, lead__isnull=True, purpose=Purpose.CLICK).first()
    if link is None:
        link = TrackedLink.objects.create(offer=offer, purpose=Purpose.CLICK, url=landing_url(offer))
    elif link.url != landing_url(offer):
        TrackedLink.objects.filter(pk=link.pk).update(url=landing_url(offer))
        _cache.pop(link.pk, None)
    return link_address(link)


def offer_saved(sender, instance, **kwargs) -> None:
    """An offer with a landing page gets its printed tracked address (reports/engagement.py)."""
    if instance.landing_url:
        offer_link(instance)


def site_origins() -> frozenset[str]:
    """Origins of the company's sites (the site keys'): a click sent there carries its token
    (crm_t), so the site script can tell the visitor is that link's lead."""
    from tracking.models import SiteKey

    origins = set()
    for allowed in SiteKey.objects.filter(revoked_at__isnull=True).values_list("allowed_origins", flat=True):
        origins.update(allowed or [])
    return frozenset(origins)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
