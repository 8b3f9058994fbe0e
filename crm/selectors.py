"""Reads of contacts: finding a caller in seconds."""

from django.db.models import Exists, OuterRef, Prefetch

from crm.models import Contact
from crm.normalize import phone_search_key

CALLER_LIMIT = 10


def find_callers(text: str, *, user, limit: int = CALLER_LIMIT) -> list[Contact]:
    """Contacts matching what a CSR types: a phone number in any format, the start of an e-mail,
    a last or first name, or "first last". Each branch is one indexed query; phone matches first.

    Only what `user` may see: a salesperson finds only the people behind their own leads and
    the sales-ready pool, with only those leads attached."""
    from leads.selectors import sees_every_lead, visible_leads

    text = (text or "").strip()
    if len(text) < 2:
        return []
    leads = visible_leads(user).select_related(None).order_by("-created_at", "-id")  # the first is the latest
    contacts = Contact.objects.select_related("company").prefetch_related(Prefetch("leads", queryset=leads))
    if not sees_every_lead(user):
        contacts = contacts.filter(Exists(leads.filter(contact_id=OuterRef("pk"))))
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
