"""Reads of leads: who may see which, and the lead list with its filters."""

from django.db.models import Q, QuerySet

from crm.normalize import phone_search_key
from crm.roles import Role, has_role
from leads.kinds import Stage
from leads.models import Lead


def visible_leads(user) -> QuerySet[Lead]:
    """The leads a user may see: everyone's for CSR, Marketing and Manager; for Sales only
    their own leads and the unassigned sales-ready pool (sales does not touch inquiries)."""
    leads = Lead.objects.select_related("contact__company", "owner", "offer", "campaign")
    if has_role(user, Role.MANAGER, Role.CSR, Role.MARKETING):
        return leads
    if has_role(user, Role.SALES):
        return leads.filter(Q(owner=user) | Q(owner__isnull=True, stage=Stage.SALES_READY))
    return leads.none()


def search_leads(leads: QuerySet[Lead], text: str) -> QuerySet[Lead]:
    """Leads whose contact matches the text by name, e-mail, phone (any format) or company."""
    text = (text or "").strip()
    if not text:
        return leads
    query = (
        Q(contact__first_name__istartswith=text)
        | Q(contact__last_name__istartswith=text)
        | Q(contact__email__istartswith=text)
        | Q(contact__company__name__istartswith=text)
    )
    first, _, rest = text.partition(" ")
    if rest:
        query |= Q(contact__first_name__istartswith=first, contact__last_name__istartswith=rest.strip())
    phone = phone_search_key(text)
    if phone:
        query |= Q(contact__phone=phone)
    return leads.filter(query)


def lead_timeline(lead: Lead) -> list[dict]:
    """Interactions, stage changes and score changes of a lead, newest first, as one list."""
    entries = [
        {"at": i.occurred_at, "type": "interaction", "item": i}
        for i in lead.interactions.select_related("author", "offer")
    ]
    entries += [
        {"at": c.changed_at, "type": "stage", "item": c} for c in lead.stage_changes.select_related("changed_by")
    ]
    entries += [{"at": c.changed_at, "type": "score", "item": c} for c in lead.score_changes.all()]
    entries.sort(key=lambda entry: entry["at"], reverse=True)
    return entries
