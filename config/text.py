"""Text as the CRM keeps it. Free text (a note, a message, an address) keeps its line breaks and
tabs and loses every other control character; a one-line field (a name, a title, a company, an
e-mail address, a phone, a subject) holds no line break or control character at all. An e-mail
subject made from a name, an SMTP header, or a CSV cell then never breaks where it should not.

Requests are cleaned at the door (config.parsers for API bodies, config.middleware for query
strings and form fields), so free text is stored clean wherever it comes from; the one-line
fields refuse what is left (a line break, a tab) with a field error: crm.services for contacts
and companies, the capture serializer, referrals, list imports.
"""

import html
import re

from django.core.exceptions import ValidationError

# C0 controls except tab, line feed and carriage return; DEL; C1 controls.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Any C0 or C1 control (line breaks and tab included), DEL, and Unicode's line and paragraph separators.
NOT_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
ONE_LINE = "Keep this on one line: no line breaks, tabs or control characters."


def clean_text(value: str) -> str:
    """Free text as stored: line breaks and tabs kept, every other control character dropped."""
    return CONTROL.sub("", value) if value and CONTROL.search(value) else value


def validate_one_line(value: str) -> None:
    """A validator for Django forms and DRF fields alike: ValidationError when `value` holds a
    line break, a tab or another control character."""
    if value and NOT_ONE_LINE.search(value):
        raise ValidationError(ONE_LINE, code="not_one_line")


def one_line_errors(values: dict[str, str]) -> dict[str, list[str]]:
    """Field errors ({name: [ONE_LINE]}) for each value that is not one line."""
    return {name: [ONE_LINE] for name, value in values.items() if isinstance(value, str) and NOT_ONE_LINE.search(value)}


def flatten(text: str) -> str:
    """`text` as one line whatever it holds: every run of whitespace, line breaks and control
    characters becomes one space (what an e-mail subject must be)."""
    return " ".join(NOT_ONE_LINE.sub(" ", text or "").split())


URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


def as_html(text: str, *, links: frozenset[str] = frozenset()) -> str:
    """Plain text as HTML paragraphs (a blank line between them), every character escaped; the
    addresses in `links` (the product's own tracked ones) become links, nothing else does: an
    address someone typed as their name must not become a link in our e-mail. Escaped as
    django.utils.html.escape does (html.escape, quotes too), without its SafeString wrapper: a
    sweep writes a hundred thousand of these."""

    def linked(escaped: str) -> str:
        return URL.sub(
            lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>' if m.group(0) in links else m.group(0), escaped
        )

    paragraphs = [part.strip() for part in (text or "").split("\n\n") if part.strip()]
    return "".join(f"<p>{linked(html.escape(part)).replace(chr(10), '<br>')}</p>" for part in paragraphs)
