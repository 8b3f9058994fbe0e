"""The brute-force guard on every way in: the browser log-in, the admin log-in and the token
endpoint count failed attempts per user name and per client address in fixed windows, and
refuse further attempts (even with the right password) until the window ends."""

import hashlib
import math

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from config.throttling import client_address, count, hit, window_key

WINDOW_SECONDS = 15 * 60


def _keys(username: str, address: str) -> list[tuple[str, int]]:
    name = hashlib.sha256((username or "").strip().lower().encode()).hexdigest()[:32]
    return [
        (f"login-failures:user:{name}", settings.CRM_LOGIN_FAILURES_PER_USERNAME),
        (f"login-failures:addr:{address}", settings.CRM_LOGIN_FAILURES_PER_ADDRESS),
    ]


def refusal(*, username: str, address: str) -> tuple[str, int] | None:
    """(message, seconds to wait) when this user name or address has failed too often, else None."""
    for ident, limit in _keys(username, address):
        key, wait = window_key(ident, WINDOW_SECONDS)
        if count(key) >= limit:
            minutes = max(1, math.ceil(wait / 60))
            return (
                f"Too many failed log-ins. For your account's safety, try again in {minutes} "
                f"minute{'s' if minutes != 1 else ''}, or ask a manager to reset your password.",
                math.ceil(wait),
            )
    return None


def record_failure(*, username: str, address: str) -> None:
    for ident, _limit in _keys(username, address):
        key, _wait = window_key(ident, WINDOW_SECONDS)
        hit(key, ttl=WINDOW_SECONDS + 1)


class GuardedLoginMixin:
    """For Django's authentication forms: refuse while locked out, count every failure."""

    def clean(self):
        username = self.data.get("username", "") if hasattr(self.data, "get") else ""
        address = client_address(self.request) if self.request is not None else "unknown"
        refused = refusal(username=username, address=address)
        if refused is not None:
            raise forms.ValidationError(refused[0], code="locked_out")
        try:
            return super().clean()
        except forms.ValidationError:
            record_failure(username=username, address=address)
            raise


class GuardedAuthenticationForm(GuardedLoginMixin, AuthenticationForm):
    """The browser log-in page's form."""


class GuardedAdminAuthenticationForm(GuardedLoginMixin, AdminAuthenticationForm):
    """The Django admin's log-in form."""
