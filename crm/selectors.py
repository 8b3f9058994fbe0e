"""Reads of contacts: finding a caller in seconds."""

from django.db.models import Prefetch

from crm.models import Contact
from crm.normalize import phone_search_key

CALLER_LIMIT = 10


def find_callers(text: str, limit: int = CALLER_LIMIT) -> list[Contact]:
    """Contacts matching what a CSR types: a phone number in any format, the start of an e-mail,
    a last or first name, or "first last". Each branch is one indexed query; phone matches first."""
    from leads.models import Lead

    text = (text or "").strip()
    if len(text) < 2:
        return []
    contacts = Contact.objects.select_related("company").prefetch_related(
        Prefetch("leads", queryset=Lead.objects.order_by("-created_at", "-id"))  # the first is the latest
    )
    queries = []
    phone = phone_search_key(text)
    if phone:
        queries.append(contacts.filter(phone=phone))
    if "@" in text or "." in text:
        queries.append(contacts.filter(email__startswith=text.lower()))
    first, _, rest = text.partition(" ")
    if rest:
        queries.append(contacts.filter(first_name__istartswith=first, last_name__istartswith=rest.strip()))
    else:
        queries.append(contacts.filter(last_name__istartswith=text))
        queries.append(contacts.filter(first_name__istartswith=text))
    found: dict[int, Contact] = {}
    for query in queries:
        for contact in query.order_by("last_name", "first_name", "id")[:limit]:
            found.setdefault(contact.pk, contact)
        if len(found) >= limit:
            break
    return list(found.values())[:limit]
