"""Template filters for the follow-up forms."""

from django import template

register = template.Library()


@register.filter
def answer(data, key: str) -> str:
    """What was typed for a script question, to show it again after an error."""
    return data.get(f"answer_{key}", "") if hasattr(data, "get") else ""


@register.filter
def field_errors(errors, key: str) -> list:
    return errors.get(key, []) if hasattr(errors, "get") else []
