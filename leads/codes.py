"""What a code someone read out or typed is: an offer's code (printed on ads and letters), a
letter's response code, or neither, and why. One resolver for every way a code comes in: a web
form's `offer_code`, a caller's code in the console, the code logged with an interaction.

Offers live below leads (campaigns); letters live above (followups), since a letter is written
for a lead. The followups app therefore lends its letter lookup here when it starts
(`followups.apps.FollowupsConfig.ready` calls `lend_letters`), the way a plug-in would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError

from campaigns.models import Offer, OfferStatus
from campaigns.selectors import offer_by_code

# Why a code is not a running offer (kept on a lead captured with it: `Lead.offer_code_problem`).
UNKNOWN = "unknown"
NOT_LIVE = "not_live"


@dataclass(frozen=True)
class Code:
    """A resolved code: an `offer` or a `letter` (both only for an interaction logged with an
    offer code and a letter code); `problem` says what is wrong with it ("" for a running offer
    or a letter, "unknown" for neither, else the offer's status: not_live, expired, sold_out)."""

    text: str
    offer: Offer | None = None
    letter: Any = None  # a followups Letter, with its lead_id and code
    problem: str = ""

    @property
    def found(self) -> bool:
        return self.offer is not None or self.letter is not None


NO_CODE = Code(text="")

_find_letter: Callable[[str], Any] | None = None
_letter_responded: Callable[..., None] | None = None


def lend_letters(*, find: Callable[[str], Any], responded: Callable[..., None]) -> None:
    """Called once by the followups app: `find(text)` → the letter with that response code or
    None (one query); `responded(letter, at=None)` records that the letter was answered."""
    global _find_letter, _letter_responded
    _find_letter, _letter_responded = find, responded


def _letter(text: str):
    return _find_letter(text) if _find_letter is not None else None


def resolve(text: str) -> Code:
    """The offer or letter a code belongs to: an offer's code first, then a letter's response
    code (typed in any case, with or without its dash). One query for an offer's code, one more
    only when it is not one. An empty text is NO_CODE."""
    text = (text or "").strip()
    if not text:
        return NO_CODE
    offer = offer_by_code(text)
    if offer is not None:
        status = offer.status
        problem = "" if status == OfferStatus.LIVE else (NOT_LIVE if status == OfferStatus.DRAFT else status)
        return Code(text=offer.code, offer=offer, problem=problem)
    letter = _letter(text)
    if letter is not None:
        return Code(text=letter.code, letter=letter)
    return Code(text=text, problem=UNKNOWN)


def resolve_known(offer_code: str = "", letter_code: str = "") -> Code:
    """A code logged with an interaction: `offer_code` may be an offer's or a letter's code,
    `letter_code` only a letter's. Refused (400, naming the field) when it is neither, since a
    person typed it and can correct it; a web form keeps an unknown code instead (capture)."""
    code = resolve(offer_code)
    if code.problem == UNKNOWN:
        raise ValidationError({"offer_code": [f"No offer or letter has the code '{offer_code}'."]})
    if letter_code:
        answered = resolve(letter_code)
        if answered.letter is None:
            raise ValidationError({"letter_code": [f"No letter has the code '{letter_code}'."]})
        return Code(text=answered.text, offer=code.offer, letter=answered.letter)
    return code


def record_response(code: Code, metadata: dict | None = None, *, at: datetime | None = None) -> dict | None:
    """A response carried this code: a letter counts it (its first response), and the letter's
    code goes into the interaction's metadata so the timeline and the batch report can say so."""
    if code.letter is None:
        return metadata
    if _letter_responded is not None:
        _letter_responded(code.letter, at=at)
    return {**(metadata or {}), "letter_code": code.letter.code}
