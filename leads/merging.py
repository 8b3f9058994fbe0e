"""Merging two records of one person (a manager's "these are the same contact").

The merged contact's leads move to the kept contact with everything hanging from them (their
interactions, stage and score history, hand-overs, follow-ups, letters, redemptions: all of it
points at the lead, not at the contact), so both people's histories read on as before, now under
one contact. The kept contact's blank fields are filled from the merged one and never
overwritten; the merged contact's row then goes, and a ContactMerge row keeps who merged which
into which, when, and what identified the merged record. Each lead of both gets a note on its
timeline saying so, and is rescored (the contact's title and company are profile facts the
scoring reads) and settled as after any change of its facts.

Both contacts' open leads stay open, each with its own owner and stage: two open leads of one
person may be two buying opportunities, and closing one is a salesperson's call, not a merge's.
This module sits in leads, the lowest app that may move leads between contacts.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from config.errors import Conflict
from crm.erased import ERASED
from crm.models import Contact
from crm.normalize import format_phone
from leads.kinds import OPEN_STAGES, InteractionKind
from leads.models import ContactMerge, Interaction, Lead
from leads.scores import rescore_lead
from leads.stages import settle
from scoring.services import published_rule_book

# The kept contact's fields a merge may fill when they are blank, in the order a page shows them.
FILLABLE = ("first_name", "last_name", "title", "persona", "email", "phone", "company", "mailing_address")
LABELS = {
    "first_name": "first name",
    "last_name": "last name",
    "title": "title",
    "persona": "persona",
    "email": "e-mail",
    "phone": "phone",
    "company": "company",
    "mailing_address": "postal address",
    "consent": "consent to marketing",
    "do_not_contact": "do not contact",
}
MERGED_REASON = "Contacts merged"


@dataclass(frozen=True)
class MergePlan:
    """What merging `merged` into `kept` would do, read before anything is written (the review
    page shows it; merge_contacts does exactly this)."""

    kept: Contact
    merged: Contact
    fills: dict  # field name → the merged contact's value, for each blank field of the kept one
    leads_moving: list[Lead]  # the merged contact's
    leads_staying: list[Lead]  # the kept contact's
    do_not_contact: bool  # the kept contact becomes do-not-contact (the merged one was)
    consent: bool  # the kept contact gains the merged one's consent

    @property
    def changes(self) -> list[str]:
        """The kept contact's fields that change, as the audit row and the note name them."""
        names = list(self.fills)
        names += ["do_not_contact"] if self.do_not_contact else []
        names += ["consent"] if self.consent else []
        return names


@dataclass(frozen=True)
class Merged:
    contact: Contact  # the kept one, as it is now
    record: ContactMerge
    leads: list[Lead]  # every lead of both, now the kept contact's


def plan_merge(kept: Contact, merged: Contact) -> MergePlan:
    """The fills: each of the kept contact's blank fields (FILLABLE) takes the merged one's value;
    a field both have keeps the kept contact's, so no e-mail or phone is ever taken from one
    record and given to another that has its own. Do-not-contact wins whichever record carried
    it (the person asked not to be contacted); consent given on either record is the person's."""
    fills = {name: _value(merged, name) for name in FILLABLE if not _value(kept, name) and _value(merged, name)}
    leads = list(Lead.objects.filter(contact_id__in=[kept.pk, merged.pk]).order_by("pk"))
    return MergePlan(
        kept=kept,
        merged=merged,
        fills=fills,
        leads_moving=[lead for lead in leads if lead.contact_id == merged.pk],
        leads_staying=[lead for lead in leads if lead.contact_id == kept.pk],
        do_not_contact=merged.do_not_contact and not kept.do_not_contact,
        consent=merged.consent and not kept.consent and not (kept.do_not_contact or merged.do_not_contact),
    )


def _value(contact: Contact, name: str):
    return contact.company_id if name == "company" else getattr(contact, name)


def describe(contact: Contact) -> str:
    """How a note names a contact record: #12 Ann Lee · ann@harbor.example · (617) 555-0142."""
    parts = [f"#{contact.pk} {contact.full_name}".strip(), contact.email, format_phone(contact.phone)]
    return " · ".join(part for part in parts if part)


def refuse(keep_id: int, merge_id: int) -> None:
    """A contact merged into itself is bad input (400), checked before anything is read."""
    if keep_id == merge_id:
        raise ValidationError({"merge": ["A contact cannot be merged into itself: choose two different contacts."]})


def review_merge(*, keep_id: int, merge_id: int) -> MergePlan:
    """What merging would do, for the page that asks the manager to confirm: refused as the merge
    itself would be (400, 404, 409), nothing locked or written."""
    return plan_merge(*_pair(keep_id, merge_id, Contact.objects.all()))


def _pair(keep_id: int, merge_id: int, contacts) -> tuple[Contact, Contact]:
    """Both contacts, each checked: an id merged away earlier is a 409 naming where it went, an
    erased contact a 409, an unknown id Contact.DoesNotExist (404)."""
    refuse(keep_id, merge_id)
    found = {
        contact.pk: contact
        for contact in contacts.select_related("company").filter(pk__in=[keep_id, merge_id]).order_by("pk")
    }
    for pk in (keep_id, merge_id):
        if pk in found:
            continue
        earlier = ContactMerge.objects.filter(merged_contact_id=pk).order_by("-merged_at").first()
        if earlier is not None:
            raise Conflict(f"Contact #{pk} was already merged into contact #{earlier.kept_id}.")
        raise Contact.DoesNotExist(f"No contact has the id {pk}.")
    keep, merged = found[keep_id], found[merge_id]
    for contact in (keep, merged):
        if contact.erased_at is not None:
            raise Conflict(f"Contact #{contact.pk}: {ERASED} It cannot be merged.")
    return keep, merged


@transaction.atomic
def merge_contacts(*, keep_id: int, merge_id: int, by) -> Merged:
    """Merge contact `merge_id` into contact `keep_id`, in one transaction: both contacts and all
    their leads row-locked (contacts first, in id order, then leads in id order); the merged
    contact's leads moved to the kept one; the merged record's earlier merges follow it; its row
    deleted before the kept one takes its e-mail or phone (each is unique); the kept contact's
    blank fields filled (plan_merge); the audit row written; a note on every lead of both, each
    rescored and settled (an inquiry that now qualifies becomes sales-ready). Refused with 400
    for a contact merged into itself and 409 for an erased one or one merged away already;
    nothing is written then."""
    # Both contacts row-locked in id order, then their leads: every path locks a contact before its
    # leads, so two merges, or a merge and an erasure, queue instead of deadlocking.
    keep, merged = _pair(keep_id, merge_id, Contact.objects.select_for_update(of=("self",)))
    leads = list(
        Lead.objects.select_for_update(of=("self",)).filter(contact_id__in=[keep.pk, merged.pk]).order_by("pk")
    )
    plan = plan_merge(keep, merged)
    record = ContactMerge.objects.create(
        kept=keep,
        merged_contact_id=merged.pk,
        merged_name=merged.full_name,
        merged_email=merged.email,
        merged_phone=merged.phone,
        merged_by=by,
        leads_moved=[lead.pk for lead in plan.leads_moving],
        filled=plan.changes,
    )
    note = _note(plan, by=by)
    Lead.objects.filter(contact=merged).update(contact=keep)
    ContactMerge.objects.filter(kept=merged).update(kept=keep)
    merged.delete()
    for name, value in plan.fills.items():
        setattr(keep, f"{name}_id" if name == "company" else name, value)
    keep.do_not_contact = keep.do_not_contact or plan.do_not_contact
    keep.consent = keep.consent or plan.consent
    keep.save()
    keep = Contact.objects.select_related("company").get(pk=keep.pk)  # the generated keys, the company
    book = published_rule_book()
    now = timezone.now()
    for lead in leads:
        lead.contact = keep
        noted = Interaction.objects.create(
            lead=lead,
            kind=InteractionKind.NOTE,
            occurred_at=now,
            author=by,
            note=note,
            metadata={"merge": record.pk},
        )
        # A lead's interactions stay its own when it moves contact: its tally takes the note alone.
        rescore_lead(lead, reason=MERGED_REASON, book=book, interaction=noted)
        settle(lead, book=book, by=by)
    return Merged(contact=keep, record=record, leads=leads)


def _note(plan: MergePlan, *, by) -> str:
    """The note each lead of both gets: which record went into which, what moved and what filled."""
    moved = ", ".join(f"#{lead.pk}" for lead in plan.leads_moving) or "none"
    text = (
        f"Duplicate contacts merged: {describe(plan.merged)} merged into {describe(plan.kept)}. "
        f"Leads moved from it: {moved}."
    )
    if plan.changes:
        text += f" Filled in from it: {', '.join(LABELS[name] for name in plan.changes)}."
    return text


def leads_by_contact(contact_ids: list[int]) -> dict[int, dict]:
    """For the duplicates page: each contact's number of leads, of open ones, and its newest
    lead's id (to open its page). One grouped query."""
    rows = (
        Lead.objects.filter(contact_id__in=contact_ids)
        .values("contact")
        .annotate(leads=Count("id"), open=Count("id", filter=Q(stage__in=list(OPEN_STAGES))), newest=Max("id"))
        .order_by()
    )
    return {row["contact"]: row for row in rows}
