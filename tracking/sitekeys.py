"""Keys for the website script (`manage.py create_site_key`)."""

import secrets
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils import timezone

from tracking.models import SiteKey, hash_site_key

KEY_PREFIX = "sk_"


def _origin(text: str) -> str:
    """An origin as browsers send it (scheme://host[:port]), or ValidationError."""
    parts = urlsplit((text or "").strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/") or parts.query:
        raise ValidationError({"origin": [f"'{text}' is not an origin such as https://www.example.com."]})
    return f"{parts.scheme}://{parts.netloc}".lower()


def create_site_key(*, name: str, origins: list[str]) -> tuple[SiteKey, str]:
    """A new key for the website script; returns the row and the raw key, shown once, never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Give the site key a name."]})
    if SiteKey.objects.filter(name=name).exists():
        raise ValidationError({"name": [f"A site key named '{name}' already exists."]})
    if not origins:
        raise ValidationError({"origin": ["Give at least one --origin: the site the script runs on."]})
    allowed = sorted({_origin(text) for text in origins})
    raw = KEY_PREFIX + secrets.token_urlsafe(24)
    key = SiteKey.objects.create(name=name, prefix=raw[:10], key_hash=hash_site_key(raw), allowed_origins=allowed)
    return key, raw


def revoke_site_key(key: SiteKey) -> None:
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
