"""Writing one chunk of clean rows: set-based, a handful of statements for the whole chunk.

For a chunk of CRM_IMPORT_CHUNK rows: one query for the suppression list, one for the contacts
that already hold any of the chunk's e-mails or phones, one for the companies named, then one
INSERT each for the new companies, contacts, leads (stage `list`, source `list`, the bought
list), their first stage and their first score (the pure engine on the profile facts, as a
capture scores a new lead before writing it), and one UPDATE for the duplicates whose empty
fields are filled. About 3 KB a row in memory while the chunk is written.

Every row lands in exactly one of: suppressed (its e-mail or phone was erased: the
suppression list), duplicate (the person is known, in the CRM or earlier in the file: same
normalized e-mail, else same phone; e-mail wins when they point at two people), updated (a
duplicate under "fill empty" that filled at least one empty field), or created.

The database's unique e-mail and phone constraints stay the judge: if a capture creates one of
the chunk's people between the lookup and the INSERT, the chunk's savepoint rolls back and the
chunk is matched again (it then finds that person as a duplicate).
"""

from __future__ import annotations

from collections import Counter

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.base import ModelState
from django.db.models.functions import Upper
from django.utils import timezone

from crm.models import Company, Contact
from crm.suppression import suppressed
from imports.bulk import insert_objects, insert_rows
from imports.fields import CleanRow
from imports.models import DuplicatePolicy
from leads.kinds import Source, Stage
from leads.models import Lead, StageChange
from leads.scores import apply_score, facts_from_rows
from scoring.engine import score
from scoring.models import ScoreChange

FILLABLE = ("first_name", "last_name", "title", "persona", "mailing_address")
CONTACT_COLUMNS = (*FILLABLE, "email", "phone", "company_id", "consent", "do_not_contact")
LOADED = ("id", "company_id", "do_not_contact", "email", "phone", *FILLABLE)
ATTEMPTS = 3


def write_rows(rows: list[CleanRow], *, bought_list, policy: str, book, by=None) -> Counter:
    """Create, fill in or skip the people of `rows` (see the module docstring); returns the
    tally (created, updated, duplicates, suppressed). Runs inside the caller's transaction."""
    for attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                return _write(rows, bought_list=bought_list, policy=policy, book=book, by=by)
        except IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


class _NewContact:
    """A person the chunk creates: the contact's columns, and its company once found. A plain
    object, where a Contact model would cost more to build than the rest of the row."""

    __slots__ = (*CONTACT_COLUMNS, "company", "pk", "_company_pending")

    def __init__(self, values: dict):
        for name in (*FILLABLE, "email", "phone"):
            setattr(self, name, values.get(name, ""))
        self.consent = values.get("consent", False)
        self.do_not_contact = values.get("do_not_contact", False)
        self.company = self.company_id = self.pk = None
        self._company_pending = False


class _Chunk:
    def __init__(self, rows: list[CleanRow]):
        emails = {row.email for row in rows if row.email}
        phones = {row.phone for row in rows if row.phone}
        self.gone = suppressed(emails=emails, phones=phones)
        contacts = {}
        for name, values in (("email", emails), ("phone", phones)):
            # One query a key: "<> ''" names the unique index's condition, so PostgreSQL can use
            # that partial index for a list of thousands (it proves the condition for at most 100).
            if values:
                known = Contact.objects.filter(Q(**{f"{name}__in": values}) & ~Q(**{name: ""}))
                contacts |= {c.pk: c for c in known.order_by().only(*LOADED)}
        contacts = list(contacts.values())
        self.by_email = {c.email: c for c in contacts if c.email}
        self.by_phone = {c.phone: c for c in contacts if c.phone}
        self.new: list[Contact] = []
        self.changed: dict[int, tuple[Contact, set]] = {}  # existing contacts filled in, by id
        self.companies: list[tuple[Contact, dict]] = []  # contacts waiting for their company

    def is_suppressed(self, row: CleanRow) -> bool:
        return ("email", row.email) in self.gone or ("phone", row.phone) in self.gone

    def match(self, row: CleanRow) -> Contact | None:
        if row.email and (contact := self.by_email.get(row.email)) is not None:
            return contact
        return self.by_phone.get(row.phone) if row.phone else None

    def remember(self, contact: Contact) -> None:
        if contact.email:
            self.by_email.setdefault(contact.email, contact)
        if contact.phone:
            self.by_phone.setdefault(contact.phone, contact)

    def fill(self, contact: Contact, row: CleanRow) -> bool:
        """Fill the contact's empty fields from the row; True when anything changed. Consent is
        never taken from a bought list for someone we already know; do-not-contact always is."""
        changed = set()
        for name in FILLABLE:
            value = row.contact.get(name)
            if value and not getattr(contact, name):
                setattr(contact, name, value)
                changed.add(name)
        for name, index in (("email", self.by_email), ("phone", self.by_phone)):
            value = row.contact.get(name)
            if value and not getattr(contact, name) and value not in index:
                setattr(contact, name, value)
                index[value] = contact
                changed.add(name)
        if row.contact.get("do_not_contact") and not contact.do_not_contact:
            contact.do_not_contact = True
            changed.add("do_not_contact")
        if row.company and contact.company_id is None and not getattr(contact, "_company_pending", False):
            contact._company_pending = True
            self.companies.append((contact, row.company))
            changed.add("company")
        if changed and contact.pk is not None:
            self.changed.setdefault(contact.pk, (contact, set()))[1].update(changed)
        return bool(changed)


def _copy(template: Lead) -> Lead:
    """A new unsaved Lead like `template`: its field values copied, a state of its own (a
    twentieth of the cost of Lead(...), which sets forty fields one by one)."""
    lead = Lead.__new__(Lead)
    lead.__dict__.update(template.__dict__)
    lead._state = ModelState()
    return lead


class _ListLead:
    """What the scoring engine reads of a new list lead (scoring.services.facts_from_rows),
    without building a forty-field Lead to read it from."""

    stage = Stage.LIST
    last_activity_at = None

    def __init__(self, contact: Contact):
        self.contact = contact


def _write(rows: list[CleanRow], *, bought_list, policy: str, book, by) -> Counter:
    tally = Counter(created=0, updated=0, duplicates=0, suppressed=0)
    chunk = _Chunk(rows)
    for row in rows:
        if chunk.is_suppressed(row):
            tally["suppressed"] += 1
            continue
        known = chunk.match(row)
        if known is not None:
            filled = policy == DuplicatePolicy.FILL_EMPTY and chunk.fill(known, row)
            tally["updated" if filled else "duplicates"] += 1
            continue
        contact = _NewContact(row.contact)
        chunk.remember(contact)
        chunk.new.append(contact)
        if row.company:
            contact._company_pending = True
            chunk.companies.append((contact, row.company))
        tally["created"] += 1

    _attach_companies(chunk.companies)
    new = chunk.new
    ids = insert_rows(Contact, varying={name: [getattr(c, name) for c in new] for name in CONTACT_COLUMNS})
    for contact, pk in zip(new, ids, strict=True):
        contact.pk = pk
    now = timezone.now()
    if chunk.changed:
        fields = set().union(*(names for _, names in chunk.changed.values()))
        contacts = [contact for contact, _ in chunk.changed.values()]
        for contact in contacts:
            contact.updated_at = now
        Contact.objects.bulk_update(contacts, sorted(fields) + ["updated_at"])
    if not new:
        return tally

    # Each lead is scored before it is written, as a capture's is (leads.services.open_lead):
    # by the pure engine on its profile, through scoring.services.apply_score, which also makes
    # its first ScoreChange. The leads are copies of one Lead built the usual way.
    template = Lead(contact_id=0, stage=Stage.LIST, source=Source.LIST, bought_list=bought_list)
    leads, changes = [], []
    reason = f"Imported from the list “{bought_list.name}”"[:200]
    for contact in new:
        lead = _copy(template)
        lead.contact_id = contact.pk
        change = apply_score(lead, score(facts_from_rows(_ListLead(contact), [], now), book), reason, now)
        if change is not None:
            changes.append(change)
        leads.append(lead)
    insert_objects(Lead, leads)
    insert_rows(
        StageChange,
        varying={"lead_id": [lead.pk for lead in leads]},
        fixed={"from_stage": "", "to_stage": Stage.LIST, "changed_by_id": getattr(by, "pk", None), "reason": reason},
    )
    insert_objects(ScoreChange, changes)
    return tally


def _attach_companies(pending: list[tuple[Contact, dict]]) -> None:
    """Each contact's company by name (any case): found, or made with the row's facts. Loaded
    whole: the score reads its profile facts."""
    if not pending:
        return
    wanted = {}
    for _contact, facts in pending:
        wanted.setdefault(facts["name"].upper(), facts)
    found = {}
    for company in Company.objects.annotate(upper=Upper("name")).filter(upper__in=list(wanted)).order_by("id"):
        found.setdefault(company.upper, company)
    missing = [Company(**facts) for upper, facts in wanted.items() if upper not in found]
    Company.objects.bulk_create(missing)
    for company in missing:
        found[company.name.upper()] = company
    for contact, facts in pending:
        contact.company = found[facts["name"].upper()]
        contact.company_id = contact.company.pk
