"""Merge fields in letters: {{ first_name }} and the like, replaced as plain text.

Only the names in FIELDS exist; anything else in double braces is refused when the template is
saved. There is no template language, so a letter cannot reach any object, and every value is
escaped when the letter is shown as HTML.
"""

import re
from datetime import date

from django.core.exceptions import ValidationError

from config.text import as_html as text_as_html

FIELDS = {
    "first_name": "the contact's first name",
    "last_name": "the contact's last name",
    "full_name": "first and last name",
    "company": "the contact's company",
    "offer_code": "the code of the template's offer",
    "offer_headline": "what the offer gives",
    "offer_deadline": "the offer's deadline (a date)",
    "response_code": "this letter's own response code",
    "salesperson": "the lead's owner by name (the company's team when nobody owns it)",
    "today": "the date the letter is sent",
}
OFFER_FIELDS = ("offer_code", "offer_headline", "offer_deadline")
FIELD = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def check(*, subject: str, body: str, has_offer: bool = True) -> None:
    """Refuse unknown merge fields, stray braces, and offer fields in a letter with no offer
    (they would print as blanks: "Until , the code gives you: ."), naming each, field by field."""
    errors = {}
    for name, text in (("subject", subject), ("body", body)):
        problems = []
        offer_fields = sorted({field for field in FIELD.findall(text or "") if field in OFFER_FIELDS})
        if offer_fields and not has_offer:
            problems.append(
                "This letter uses "
                + ", ".join(f"{{{{ {field} }}}}" for field in offer_fields)
                + ": choose the offer it is about, or take the field out."
            )
        unknown = sorted({field for field in FIELD.findall(text or "") if field not in FIELDS})
        if unknown:
            problems.append(
                f"Unknown merge field{'s' if len(unknown) > 1 else ''}: "
                + ", ".join(f"{{{{ {field} }}}}" for field in unknown)
                + f". Use: {', '.join(FIELDS)}."
            )
        leftover = FIELD.sub("", text or "")
        if "{{" in leftover or "}}" in leftover:
            problems.append("A merge field is written {{ name }}: check the braces.")
        if problems:
            errors[name] = problems
    if errors:
        raise ValidationError(errors)


def merge(text: str, values: dict[str, str]) -> str:
    return FIELD.sub(lambda match: values.get(match.group(1), ""), text or "")


def display_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


def signature(owner, company_name: str) -> str:
    """Who signs the letter: the lead's owner by the name people know them by (a user made by
    `create_user` has no full name, only a user name); the company's team when nobody owns it."""
    if owner is None:
        return f"The {company_name} team"
    return owner.get_full_name().strip() or owner.get_username()


def values_for(*, lead, code: str, offer, company_name: str, today: date) -> dict[str, str]:
    contact = lead.contact
    return {
        "first_name": contact.first_name or "friend",
        "last_name": contact.last_name,
        "full_name": contact.full_name,
        "company": contact.company.name if contact.company_id else "",
        "offer_code": offer.code if offer else "",
        "offer_headline": offer.headline if offer else "",
        "offer_deadline": offer.deadline.date().isoformat() if offer else "",
        "response_code": display_code(code),
        "salesperson": signature(lead.owner, company_name),
        "today": today.isoformat(),
    }


def as_html(text: str) -> str:
    """A letter's text as HTML paragraphs, every character escaped, its addresses links."""
    return text_as_html(text)
