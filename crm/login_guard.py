"""The brute-force guard on every way in: the browser log-in, the admin log-in and the token
endpoint count attempts in fixed 15-minute windows and refuse further attempts (even with the
right password) until the window ends:

- per user name and client address (CRM_LOGIN_FAILURES_PER_USER_AND_ADDRESS, 5): someone guessing
  one account from one place;
- per user name (CRM_LOGIN_FAILURES_PER_USERNAME, 20): the same account guessed from many places,
  set higher so that one stranger cannot lock a colleague out with a few bad tries;
- per client address (CRM_LOGIN_FAILURES_PER_ADDRESS, 30): one place trying many accounts.

An attempt is counted before the password is checked (so parallel attempts cannot slip past the
limit) and given back when it succeeds. User names are compared as Django compares them when
logging in (NFKC) and without case, so look-alike spellings share one count.
"""

import hashlib
import math
import unicodedata

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from config.throttling import client_address, hit, unhit, window_key

WINDOW_SECONDS = 15 * 60


def _name(username: str) -> str:
    folded = unicodedata.normalize("NFKC", username or "").strip().casefold()
    return hashlib.sha256(folded.encode()).hexdigest()[:32]


def _keys(username: str, address: str) -> list[tuple[str, int]]:
    name = _name(username)
    return [
        (f"login:user-addr:{name}:{address}", settings.CRM_LOGIN_FAILURES_PER_USER_AND_ADDRESS),
        (f"login:user:{name}", settings.CRM_LOGIN_FAILURES_PER_USERNAME),
        (f"login:addr:{address}", settings.CRM_LOGIN_FAILURES_PER_ADDRESS),
    ]


def attempt(*, username: str, address: str) -> tuple[str, int] | None:
    """Count one attempt; (message, seconds to wait) when it is one too many, else None."""
    refused = None
    for ident, limit in _keys(username, address):
        key, wait = window_key(ident, WINDOW_SECONDS)
        if hit(key, ttl=WINDOW_SECONDS + 1) > limit and refused is None:
            minutes = max(1, math.ceil(wait / 60))
            refused = (
                f"Too many failed log-ins. For your account's safety, try again in {minutes} "
                f"minute{'s' if minutes != 1 else ''}, or ask a manager to reset your password.",
                math.ceil(wait),
            )
    return refused


def succeeded(*, username: str, address: str) -> None:
    """The attempt was the right password: it does not count against anyone."""
    for ident, _limit in _keys(username, address):
        key, _wait = window_key(ident, WINDOW_SECONDS)
        unhit(key)


class GuardedLoginMixin:
    """For Django's authentication forms: count the attempt, refuse while locked out."""

    def clean(self):
        username = self.data.get("username", "") if hasattr(self.data, "get") else ""
        address = client_address(self.request) if self.request is not None else "unknown"
        refused = attempt(username=username, address=address)
        if refused is not None:
            raise forms.ValidationError(refused[0], code="locked_out")
        cleaned = super().clean()  # a wrong password raises here and stays counted
        succeeded(username=username, address=address)
        return cleaned


class GuardedAuthenticationForm(GuardedLoginMixin, AuthenticationForm):
    """The browser log-in page's form."""


class GuardedAdminAuthenticationForm(GuardedLoginMixin, AdminAuthenticationForm):
    """The Django admin's log-in form."""
