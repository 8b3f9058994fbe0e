"""The one way in: a prospect arriving, whichever door they used.

A web form (leads.capture), a call the console did not find (desk.console), a customer's
referral (followups.services.complete): each builds an `Arrival` and calls `receive`, which

1. finds the person's contact or creates it (never twice: crm.services),
2. finds the contact's open lead and locks it, or opens a new inquiry scored from its first
   interaction (leads.services.open_lead),
3. on an open lead, fills in what it lacked (why they inquired, the offer or letter that
   brought them, the referrer) and logs the interaction, whose rules are the same for every
   door (leads.services.record_interaction): a response brings a bought name or an unclosed
   prospect back as an inquiry, the lead is rescored, and it becomes sales-ready if it now
   meets the rules of engagement,
4. gives the lead to its owner when the door says so, with the Handover row (leads.ownership).

An arrival taken by a staff member never touches or reveals a lead that person may not see: a
salesperson naming a known contact gets "already known", and nothing about the contact changes.
List imports write their rows in bulk (imports.writing) but open the same `list` lead.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from campaigns.selectors import placement_for
from config.inserts import NewRow, Ref, insert_rows
from crm.models import Contact
from crm.services import company_for_name, find_or_create_contact, known_contact, unsaved_contact
from leads import codes
from leads.codes import NO_CODE, Code
from leads.kinds import OPEN_STAGES, InteractionKind, Source
from leads.models import FormKey, Handover, Lead
from leads.ownership import give
from leads.selectors import sees_every_lead, visible_leads
from leads.services import LoggedInteraction, locked_open_lead, new_lead, open_lead, record_interaction
from scoring.services import last_published_rule_book, published_rule_book, published_version_is

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")


@dataclass(frozen=True)
class Person:
    """Who arrived, as they gave it (normalized by crm.services)."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    company: str = ""
    title: str = ""
    consent: bool | None = None

    def contact_details(self) -> dict:
        """As crm.services' find_or_create_contact and unsaved_contact take them."""
        return {
            "email": self.email,
            "phone": self.phone,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "title": self.title,
            "company_name": self.company,
            "consent": self.consent,
        }


@dataclass(frozen=True)
class Arrival:
    """A prospect arriving: who, through which door, and what they said.

    `kind` is the interaction it is logged as (form, call_inbound, referral); `source` and
    `stage_reason` are what a new lead records about how it began; `by` is the staff member who
    took it (None for a web form); `owner` the salesperson who keeps a new lead (a salesperson's
    own customer's referral)."""

    person: Person
    kind: str
    source: str
    stage_reason: str
    by: Any = None
    note: str = ""
    inquiry_reason: str = ""
    code: Code = NO_CODE
    utm: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)
    form_key: FormKey | None = None
    referrer: Lead | None = None
    owner: Any = None


@dataclass(frozen=True)
class Received:
    """What an arrival came to. `already_known`: the person is someone the taker may not see, so
    nothing was written and nothing about them is given back (`contact` and `lead` are None)."""

    contact: Contact | None
    lead: Lead | None
    created_contact: bool = False
    logged: LoggedInteraction | None = None
    already_known: bool = False


ALREADY_KNOWN = Received(contact=None, lead=None, already_known=True)


def receive(arrival: Arrival) -> Received:
    """Take one arrival in (see the module's docstring), in one transaction."""
    with transaction.atomic():
        if arrival.by is not None and not sees_every_lead(arrival.by) and not _may_take(arrival):
            return ALREADY_KNOWN
        contact, created = find_or_create_contact(**arrival.person.contact_details())
        if arrival.referrer is not None and contact.pk == arrival.referrer.contact_id:
            raise ValidationError({"referrals": [f"{contact} is the customer themselves, not someone they refer."]})
        lead = None if created else locked_open_lead(contact)
        book = published_rule_book()  # read after the lock: a publish that committed meanwhile is seen
        metadata = codes.record_response(arrival.code, arrival.metadata) or {}
        if lead is None:
            logged = open_lead(
                contact=contact,
                kind=arrival.kind,
                book=book,
                by=arrival.by,
                note=arrival.note,
                metadata=metadata,
                stage_reason=arrival.stage_reason,
                source=arrival.source,
                form_key=arrival.form_key,
                referrer=arrival.referrer,
                inquiry_reason=arrival.inquiry_reason,
                **{name: arrival.utm.get(name, "") for name in UTM_FIELDS},
                **attribution(arrival.code, arrival.utm),
            )
            if arrival.owner is not None:
                give(logged.lead, to=arrival.owner, kind=Handover.Kind.REFERRAL, accepted=True)
        else:
            _fill_in(lead, arrival)
            logged = record_interaction(
                lead,
                kind=arrival.kind,
                book=book,
                author=arrival.by,
                note=arrival.note,
                metadata=metadata,
                offer=arrival.code.offer,
            )
    return Received(contact=contact, lead=logged.lead, created_contact=created, logged=logged)


class _Unwritten(Exception):
    """receive_new wrote nothing (anything written before its statement is rolled back)."""

    def __init__(self, rules_changed: bool = False):
        super().__init__()
        self.rules_changed = rules_changed


def receive_new(arrival: Arrival, *, also: Callable[[], list[NewRow]] | None = None) -> Received | None:
    """`receive` for a person nobody knows yet, written by one statement (config.inserts): the
    contact, the lead (scored before it is written: leads.services.new_lead), its first stage,
    the interaction and the score history, and the rows `also` gives, written from the "contact"
    and "lead" rows (the capture's idempotency record). One round trip and, outside a
    transaction, a transaction of its own: every row or none.

    The statement writes only if no contact has the person's e-mail or phone (the unique indexes
    decide, waiting for a concurrent arrival of the same person to commit), the rules it was
    scored with are still the published ones (this process's last read, checked in the statement:
    after a publish the rules are read again and the statement tried again), and the arrival's
    form key is still active and as given. Otherwise it writes nothing and returns None: call
    `receive`, which takes the same arrival the longer way. None too, before any write, for an
    arrival that `receive` alone handles: not on PostgreSQL, taken by a staff member, with a code,
    a referrer or an owner, or scored at the sales-ready threshold (whether it is sales-ready at
    once is the rules of engagement's to say). A row of `also` that a unique index refuses raises
    IntegrityError, and nothing is written."""
    if connection.vendor != "postgresql" or arrival.by is not None or arrival.code.text:
        return None
    if arrival.referrer is not None or arrival.owner is not None:
        return None
    contact = unsaved_contact(**arrival.person.contact_details())
    book = last_published_rule_book() or published_rule_book()
    for _attempt in range(3):
        try:
            return _write_new(arrival, contact, book, also)
        except _Unwritten as unwritten:
            contact.pk, contact.company = None, None
            if not unwritten.rules_changed:
                return None
            book = published_rule_book()
    return None


def _write_new(arrival: Arrival, contact: Contact, book, also) -> Received:
    company_name = (arrival.person.company or "").strip()
    # A transaction of its own only when the statement is not all there is: a company to create
    # first (gone again if the person is known), or a caller's transaction to keep usable.
    with transaction.atomic() if company_name or connection.in_atomic_block else nullcontext():
        if company_name:
            contact.company = company_for_name(company_name)
        rows = new_lead(
            contact=contact,
            kind=arrival.kind,
            book=book,
            note=arrival.note,
            metadata=codes.record_response(arrival.code, arrival.metadata) or {},
            stage_reason=arrival.stage_reason,
            source=arrival.source,
            form_key=arrival.form_key,
            inquiry_reason=arrival.inquiry_reason,
            **{name: arrival.utm.get(name, "") for name in UTM_FIELDS},
        )
        if rows.lead.score >= book.thresholds.sales_ready:
            raise _Unwritten
        rules_current = published_version_is(book.version)
        key_current = _key_unchanged(arrival.form_key)
        children = [("stage", rows.first_stage), ("interaction", rows.interaction), ("score", rows.score_change)]
        rules_still_current, _key_still_current = insert_rows(
            [
                NewRow("contact", contact, only_if=[rules_current, key_current], skip_conflicts=True),
                NewRow("lead", rows.lead, sources=("contact",), values={"contact_id": Ref("contact")}),
                *(
                    NewRow(name, row, sources=("lead",), values={"lead_id": Ref("lead")})
                    for name, row in children
                    if row is not None
                ),
                *(also() if also is not None else []),
            ],
            probes=[rules_current, key_current],
        )
        if contact.pk is None:
            raise _Unwritten(rules_changed=not rules_still_current)
    return Received(
        contact=contact,
        lead=rows.lead,
        created_contact=True,
        logged=LoggedInteraction(rows.interaction, rows.lead, rows.score),
    )


def _key_unchanged(form_key: FormKey | None) -> tuple[str, list]:
    """SQL (with its parameters) true while the form key is active and as this process holds it."""
    if form_key is None:
        return "TRUE", []
    fields = _acting_fields()
    held = [each.get_db_prep_save(getattr(form_key, each.attname), connection) for each in fields]
    return _key_unchanged_sql(), [form_key.pk, *held]


@cache
def _acting_fields() -> list:
    return [FormKey._meta.get_field(name) for name in FormKey.ACTING_FIELDS]


@cache
def _key_unchanged_sql() -> str:
    """The same text for every key (built once per process: it only depends on the schema)."""
    same = " AND ".join(
        f"{each.column} IS NOT DISTINCT FROM CAST(%s AS {each.db_type(connection)})" for each in _acting_fields()
    )
    return f"EXISTS (SELECT 1 FROM {FormKey._meta.db_table} WHERE id = %s AND {same})"


def _may_take(arrival: Arrival) -> bool:
    """Whether someone who sees only some leads (a salesperson) may take this person in: a new
    person, or one whose open lead they may see; with no open lead, one of whose leads they see.
    Reads only: nothing is written before this says yes."""
    person = arrival.person
    contact = known_contact(email=person.email, phone=person.phone)
    if contact is None:
        return True
    theirs = visible_leads(arrival.by).filter(contact=contact)
    newest_open = (
        Lead.objects.filter(contact=contact, stage__in=list(OPEN_STAGES)).order_by("-created_at", "-id").first()
    )
    if newest_open is not None:
        return theirs.filter(pk=newest_open.pk).exists()
    return theirs.exists()


def attribution(code: Code, utm: dict) -> dict:
    """A lead's offer attribution from the code it came with: the offer, its campaign and the
    placement the response came through, when the arrival's UTM fields agree with one or are
    absent (`placement_for`; the rules are docs/attribution.md); a letter's code kept as given;
    an unknown or expired code kept and flagged (`offer_code_problem`), never refused."""
    if not code.text:
        return {}
    fields = {"offer_code": code.text, "offer_code_problem": code.problem}
    if code.offer is not None:
        placement = placement_for(
            code.offer, utm_source=utm.get("utm_source", ""), utm_medium=utm.get("utm_medium", "")
        )
        fields |= {"offer": code.offer, "campaign": code.offer.campaign, "placement": placement}
    return fields


def _fill_in(lead: Lead, arrival: Arrival) -> None:
    """A returning prospect: keep the lead's first facts, fill in what it lacked."""
    changed = []
    if arrival.inquiry_reason and not lead.inquiry_reason:
        lead.inquiry_reason = arrival.inquiry_reason
        changed.append("inquiry_reason")
    if arrival.code.text and not lead.offer_code:
        for name, value in attribution(arrival.code, arrival.utm).items():
            setattr(lead, name, value)
            changed.append(name)
    if arrival.referrer is not None and lead.referrer_id is None and lead.pk != arrival.referrer.pk:
        lead.referrer = arrival.referrer
        changed.append("referrer")
    if changed:
        lead.save(update_fields=changed)


def take_inbound_call(
    *,
    by,
    note: str = "",
    offer_code: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    email: str = "",
    company: str = "",
) -> Received:
    """A caller the console did not find: found or created (never twice), the call logged on
    their open lead or opening a new inquiry whose reason is the CSR's note. A code the CSR
    typed must be an offer's or a letter's (400 otherwise: they can correct it)."""
    return receive(
        Arrival(
            person=Person(first_name=first_name, last_name=last_name, email=email, phone=phone, company=company),
            kind=InteractionKind.CALL_INBOUND,
            source=Source.PHONE,
            stage_reason="Inbound call",
            by=by,
            note=note,
            inquiry_reason=note,
            code=codes.resolve_known(offer_code.strip()),
        )
    )
