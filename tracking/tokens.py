"""Tokens of tracked addresses: a link's id in base 62 followed by an 11-character signature.

The signature is an HMAC of the id and of the door it opens ("t" a link or QR code, "o" an open
image, "f" the forward form, "u" the unsubscribe page, on an e-mail's open image's id), so a token
cannot be forged, cut short, or carried from one door to another, and it says nothing about the
person it was sent to. Checking one costs no query.
"""

import functools
import hashlib
import hmac

from django.conf import settings

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SIGNATURE_LENGTH = 11  # 64 bits in base 62
MAX_TOKEN_LENGTH = 24
CLICK, OPEN, FORWARD, UNSUBSCRIBE = "t", "o", "f", "u"
_INDEX = {char: value for value, char in enumerate(ALPHABET)}
_PAIRS = [first + second for first in ALPHABET for second in ALPHABET]  # two digits at a time


def _base62(number: int) -> str:
    digits = []
    while number >= 62 * 62:
        number, pair = divmod(number, 62 * 62)
        digits.append(_PAIRS[pair])
    digits.append(_PAIRS[number] if number >= 62 else ALPHABET[number])
    return "".join(reversed(digits))


@functools.lru_cache(maxsize=4)
def _keyed(secret: str):
    """The HMAC with its key already taken in, once per SECRET_KEY: each signature copies it
    (a sweep signs four addresses an e-mail, a hundred thousand e-mails at a time)."""
    return hmac.new(hashlib.sha256(b"tracking-tokens:" + secret.encode()).digest(), digestmod=hashlib.sha256)


def _signature(link_id: int, door: str) -> str:
    signer = _keyed(settings.SECRET_KEY).copy()
    signer.update(f"{door}:{link_id}".encode())
    return _base62(int.from_bytes(signer.digest()[:8], "big")).rjust(SIGNATURE_LENGTH, "0")


def make(link_id: int, door: str) -> str:
    return _base62(link_id) + _signature(link_id, door)


def read(token: str, door: str) -> int | None:
    """The link id a token stands for at this door, or None for anything forged or damaged."""
    if not token or len(token) <= SIGNATURE_LENGTH or len(token) > MAX_TOKEN_LENGTH:
        return None
    head, signature = token[:-SIGNATURE_LENGTH], token[-SIGNATURE_LENGTH:]
    if head.startswith("0") and head != "0":
        return None  # one spelling per id
    if any(char not in _INDEX for char in signature):
        return None
    link_id = 0
    for char in head:
        value = _INDEX.get(char)
        if value is None:
            return None
        link_id = link_id * 62 + value
    if not hmac.compare_digest(signature, _signature(link_id, door)):
        return None
    return link_id
