"""Reads of leads: who may see which, a lead's timeline and offers, finding a caller, and a
company as the leads show it (who may see it, its people, leads, revenue and timeline)."""

from django.db.models import BooleanField, Case, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from campaigns.models import OfferStatus, Redemption
from campaigns.selectors import live_offers
from crm.models import Company, Contact
from crm.normalize import phone_search_key
from crm.roles import Role, has_role
from crm.selectors import phone_ending, phone_ends_with
from leads.kinds import EMAIL_SENT_KEY, OPEN_STAGES, InteractionKind, Stage
from leads.models import Handover, Interaction, Lead, StageChange
from outbox.selectors import email_refused, email_sent, subject_of
from scoring.engine import RuleBook
from scoring.models import ScoreChange

CALLER_LIMIT = 10


def sees_every_lead(user) -> bool:
    return has_role(user, Role.MANAGER, Role.CSR, Role.MARKETING)


def visible_leads(user) -> QuerySet[Lead]:
    """The leads a user may see: everyone's for CSR, Marketing and Manager; for Sales only
    their own leads and the unassigned sales-ready pool (sales does not touch inquiries).
    Every page and endpoint that shows or changes a lead starts from this."""
    leads = Lead.objects.select_related("contact__company", "owner", "offer", "campaign")
    if sees_every_lead(user):
        return leads
    if has_role(user, Role.SALES):
        return leads.filter(Q(owner=user) | Q(owner__isnull=True, stage=Stage.SALES_READY))
    return leads.none()


def works_on(lead: Lead, user) -> bool:
    """A salesperson acts only on leads they own; managers (and other roles) are not limited here."""
    return not has_role(user, Role.SALES) or has_role(user, Role.MANAGER) or lead.owner_id == user.pk


def may_edit(user, lead: Lead) -> bool:
    """Who may correct a lead's facts (SPEC: a salesperson changes only the leads they own or
    may claim, as the API's PATCH allows): CSR, Marketing and Managers any lead they see; a
    salesperson their own leads and the unowned sales-ready ones of the pool."""
    if lead.contact.erased_at is not None:
        return False  # erased on request: nothing is typed back in
    claimable = lead.owner_id is None and lead.stage == Stage.SALES_READY
    return works_on(lead, user) or (claimable and has_role(user, Role.SALES))


def _links(metadata) -> tuple[list[int], int | None]:
    """The lead ids an interaction's metadata names (a follow-up's referrals, a referral's
    referrer), ignoring anything else a client may have put there."""
    metadata = metadata if isinstance(metadata, dict) else {}
    referrals = metadata.get("referrals")
    referrer = metadata.get("referrer_lead")
    ids = (
        [i for i in referrals if isinstance(i, int) and not isinstance(i, bool)] if isinstance(referrals, list) else []
    )
    return ids, referrer if isinstance(referrer, int) and not isinstance(referrer, bool) else None


def readable_answers(answers, book: RuleBook) -> list[dict[str, str]]:
    """Stored answer keys as the question and option wording the CSR saw on the form."""
    readable = []
    for pair in answers or []:
        question = book.question(pair.get("question", ""))
        option = question.option(pair.get("answer", "")) if question else None
        readable.append(
            {
                "question": question.text if question else pair.get("question", ""),
                "answer": option.label if option else pair.get("answer", ""),
            }
        )
    return readable


def lead_timeline(lead: Lead, *, book: RuleBook | None = None) -> list[dict]:
    """Everything that happened to the lead, newest first, as one list: interactions (follow-up
    calls with their answers and referrals, and the referral that brought the lead, scripted
    answers in the words of `book`'s questions), letters sent, offers redeemed, claims,
    hand-overs and their acceptance, stage and score changes."""
    return timeline([lead], book=book)


def timeline(
    leads: list[Lead] | QuerySet[Lead], *, book: RuleBook | None = None, limit: int | None = None
) -> list[dict]:
    """The timelines of `leads` (a list, or a queryset read as a subquery) merged, newest first:
    a lead's page reads one lead's, a company's page its leads'. Each entry has its `lead` (with
    its contact). With `limit`, only the newest `limit` entries: each kind reads at most that
    many rows, so a company with years of history costs the same few queries (one per kind, one
    more for the leads of a queryset) as a lead with a week of it."""
    by_id = {lead.pk: lead for lead in leads} if isinstance(leads, list) else {}
    within = list(by_id) if isinstance(leads, list) else leads.values("pk")

    def newest(queryset, *order):
        queryset = queryset.filter(lead_id__in=within)
        return queryset.order_by(*order)[:limit] if limit else queryset

    # An e-mail written from the lead page says whether the outbox sent it (keyed lead-email:<id>).
    sent = Case(
        When(kind=InteractionKind.EMAIL_SENT, then=email_sent(EMAIL_SENT_KEY)),
        default=Value(False),
        output_field=BooleanField(),
    )
    refused = Case(When(kind=InteractionKind.EMAIL_SENT, then=email_refused(EMAIL_SENT_KEY)), default=Value(None))
    interactions = Interaction.objects.select_related("author", "offer").annotate(emailed=sent, email_refused=refused)
    entries = [
        {"at": i.occurred_at, "type": "interaction", "item": i} for i in newest(interactions, "-occurred_at", "-id")
    ]
    links = {id(entry): _links(entry["item"].metadata) for entry in entries}
    linked = Lead.objects.select_related("contact").in_bulk(
        {i for referrals, referrer in links.values() for i in [*referrals, referrer] if i is not None}
    )
    for entry in entries:
        if book is not None:
            entry["answers"] = readable_answers(entry["item"].answers, book)
        referrals, referrer = links[id(entry)]
        if entry["item"].kind == "follow_up":
            answers = (entry["item"].metadata or {}).get("answers")
            entry["followup_answers"] = [a for a in answers if isinstance(a, dict)] if isinstance(answers, list) else []
            entry["referrals"] = [linked[i] for i in referrals if i in linked]
        elif entry["item"].kind == "referral" and referrer in linked:
            entry["referrer"] = linked[referrer]
    # Letters are the followups app's (above this one): read through the lead's relation to them.
    letters = Lead._meta.get_field("letters").related_model.objects.select_related("template")
    entries += [
        {"at": letter.sent_at, "type": "letter", "item": letter}
        # "also e-mailed" once the outbox sent its e-mail (keyed letter:<id>, followups.letters)
        for letter in newest(letters.annotate(emailed=email_sent("letter:")), "-sent_at", "-id")
    ]
    entries += _sequence_entries(within, limit)
    stage_changes = StageChange.objects.select_related("changed_by")
    entries += [{"at": c.changed_at, "type": "stage", "item": c} for c in newest(stage_changes, "-changed_at", "-id")]
    entries += [
        {"at": c.changed_at, "type": "score", "item": c}
        for c in newest(ScoreChange.objects.all(), "-changed_at", "-id")
    ]
    handovers = Handover.objects.select_related("from_user", "to_user")
    entries += _ownership_entries(newest(handovers, Coalesce("accepted_at", "at").desc(), "-id"))
    redemptions = Redemption.objects.select_related("offer", "redeemed_by")
    entries += [
        {"at": r.redeemed_at, "type": "redemption", "item": r} for r in newest(redemptions, "-redeemed_at", "-id")
    ]
    # Newest first; what happened in one transaction reads in the order it was done.
    entries.sort(key=lambda entry: (entry["at"], TIMELINE_ORDER[entry["type"]]), reverse=True)
    entries = entries[:limit] if limit else entries
    missing = {entry["item"].lead_id for entry in entries} - set(by_id)
    by_id |= Lead.objects.select_related("contact").in_bulk(missing) if missing else {}
    for entry in entries:
        entry["lead"] = by_id[entry["item"].lead_id]
    return entries


# Within one instant: the call, then the score it moved, the stage that followed, the hand-over.
TIMELINE_ORDER = {
    "interaction": 0,
    "letter": 0,
    "sequence": 0,
    "sequence_step": 1,
    "sequence_end": 6,
    "redemption": 1,
    "score": 2,
    "stage": 3,
    "handover": 4,
    "accepted": 5,
}


def _sequence_entries(within, limit: int | None) -> list[dict]:
    """Nurture sequences (the nurture app's, above this one: read through the lead's relation to
    its enrolments): each entry into one, each e-mail, letter or call it gave, and each exit with
    its reason."""
    enrolments = Lead._meta.get_field("enrolments").related_model.objects.filter(lead_id__in=within)
    enrolments = enrolments.select_related("sequence", "enrolled_by", "ended_by").order_by("-enrolled_at", "-id")
    entries = []
    for enrolment in enrolments[:limit] if limit else enrolments:
        entries.append({"at": enrolment.enrolled_at, "type": "sequence", "item": enrolment})
        if enrolment.ended_at is not None:
            entries.append({"at": enrolment.ended_at, "type": "sequence_end", "item": enrolment})
    runs = enrolments.model._meta.get_field("runs").related_model.objects.filter(
        enrolment__lead_id__in=within, kind__in=("email", "letter", "call")
    )
    runs = runs.select_related("enrolment__sequence").annotate(subject=subject_of("email_key"))
    runs = runs.order_by("-done_at", "-id")
    for run in runs[:limit] if limit else runs:
        run.lead_id = run.enrolment.lead_id
        entries.append({"at": run.done_at, "type": "sequence_step", "item": run})
    return entries


def _ownership_entries(handovers) -> list[dict]:
    """Claims, hand-overs (and who had the lead before), take-backs, and each acceptance."""
    entries = []
    for handover in handovers:
        entries.append({"at": handover.at, "type": "handover", "item": handover})
        if handover.accepted_at and handover.kind == handover.Kind.HANDOVER:
            entries.append({"at": handover.accepted_at, "type": "accepted", "item": handover})
    return entries


def find_callers(text: str, *, user, limit: int = CALLER_LIMIT) -> list[Contact]:
    """Contacts matching what a CSR types: a phone number in any format or its last four or more
    digits, the start of an e-mail, a last or first name, "first last", or the start of the
    company's name. Each branch is one indexed query; phone matches first.

    Only what `user` may see: a salesperson finds only the people behind their own leads and
    the sales-ready pool, with only those leads attached."""
    text = (text or "").strip()
    if len(text) < 2:
        return []
    leads = visible_leads(user).select_related(None).select_related("owner").order_by("-created_at", "-id")
    # Each with their leads, newest first: the first is the latest.
    contacts = Contact.objects.select_related("company").prefetch_related(Prefetch("leads", queryset=leads))
    if not sees_every_lead(user):
        contacts = contacts.filter(Exists(leads.filter(contact_id=OuterRef("pk"))))
    queries = []
    phone = phone_search_key(text)
    if phone:
        queries.append(contacts.filter(phone=phone))
    digits = phone_ending(text)
    if digits:
        queries.append(contacts.filter(phone_ends_with(digits)))
    if "@" in text or "." in text:
        queries.append(contacts.filter(email__startswith=text.lower()))
    first, _, rest = text.partition(" ")
    if rest:
        queries.append(contacts.filter(first_name__istartswith=first, last_name__istartswith=rest.strip()))
    else:
        queries.append(contacts.filter(last_name__istartswith=text))
        queries.append(contacts.filter(first_name__istartswith=text))
    queries.append(contacts.filter(company__name__istartswith=text))
    found: dict[int, Contact] = {}
    for query in queries:
        for contact in query.order_by("last_name", "first_name", "id")[:limit]:
            found.setdefault(contact.pk, contact)
        if len(found) >= limit:
            break
    return list(found.values())[:limit]


def visible_companies(user) -> QuerySet[Company]:
    """The companies a user may look at: every one for CSR, Marketing and Managers; for a
    salesperson only those where a lead they may see is (their own, the pool's), so a company's
    page and the search tell them no more than their leads do."""
    if sees_every_lead(user):
        return Company.objects.all()
    leads = visible_leads(user).select_related(None).filter(contact__company_id=OuterRef("pk"))
    return Company.objects.filter(Exists(leads))


def find_companies(text: str, *, user, limit: int = CALLER_LIMIT) -> list[Company]:
    """Companies whose name starts with the text (any case), of those `user` may see, by name:
    one query, served by company_name_prefix_idx (leads migration 0007) on PostgreSQL."""
    text = (text or "").strip()
    if len(text) < 2:
        return []
    return list(visible_companies(user).filter(name__istartswith=text).order_by("name", "id")[:limit])


def company_people(company: Company, *, user, limit: int) -> dict:
    """A company's people (by name, at most `limit`, with how many in all), each with the leads
    `user` may see, newest first. A salesperson sees only the people behind those leads, as
    find_callers shows them. Three queries: the count, the people, their leads."""
    leads = visible_leads(user).select_related(None).select_related("owner").order_by("-created_at", "-id")
    people = Contact.objects.filter(company=company).prefetch_related(Prefetch("leads", queryset=leads))
    if not sees_every_lead(user):
        people = people.filter(Exists(leads.filter(contact_id=OuterRef("pk"))))
    return {"count": people.count(), "rows": list(people.order_by("last_name", "first_name", "id")[:limit])}


def company_leads(company: Company, *, user) -> QuerySet[Lead]:
    """The leads at a company that `user` may see (through its people)."""
    return visible_leads(user).filter(contact__company=company)


def company_figures(leads: QuerySet[Lead]) -> dict:
    """Revenue (what the won leads were won for), sales, open leads and their estimated value,
    in one aggregate over `leads`."""
    won = Q(stage__in=[Stage.WON, Stage.CUSTOMER])
    open_ = Q(stage__in=list(OPEN_STAGES))
    return leads.order_by().aggregate(
        leads=Count("id"),
        won=Count("id", filter=won),
        revenue=Sum("won_amount", filter=won),
        open=Count("id", filter=open_),
        open_value=Sum("estimated_value", filter=open_),
    )


def leads_on_offer(offer, *, user, limit: int = CALLER_LIMIT) -> list[Lead]:
    """The leads that came in on `offer` (its code brought them), newest first, of those `user`
    may see: who to look for when a caller reads out only the code. One query on the lead's
    offer."""
    leads = visible_leads(user).filter(offer=offer).select_related("contact__company")
    return list(leads.order_by("-created_at", "-id")[:limit])


def lead_offers(lead: Lead) -> dict:
    """The offers panel of a lead: what it has redeemed, and the live offers it may still take up."""
    redeemed = list(lead.redemptions.select_related("offer", "redeemed_by").order_by("redeemed_at"))
    taken = {r.offer_id for r in redeemed}
    closed = lead.stage == Stage.DEAD or lead.contact.erased_at is not None  # nothing more is taken up
    choices = [] if closed else [offer for offer in live_offers() if offer.pk not in taken]
    return {
        "lead": lead,
        "offer_status": OfferStatus(lead.offer.status).label if lead.offer else "",
        "redemptions": redeemed,
        "redeemable_offers": choices,
    }


CALL_KINDS = (InteractionKind.CALL_INBOUND, InteractionKind.CALL_OUTBOUND)


def calls_logged(user, *, since, limit: int = 8) -> dict:
    """The calls `user` logged since `since` (the CSR's "calls today" on the home page): how many,
    inbound and outbound, and the latest `limit` with their caller. Two queries, served by the
    interactions' author and time."""
    calls = Interaction.objects.filter(author=user, kind__in=CALL_KINDS, occurred_at__gte=since)
    counts = calls.aggregate(total=Count("id"), inbound=Count("id", filter=Q(kind=InteractionKind.CALL_INBOUND)))
    latest = list(calls.select_related("lead__contact").order_by("-occurred_at", "-id")[:limit])
    return {
        "total": counts["total"],
        "inbound": counts["inbound"],
        "outbound": counts["total"] - counts["inbound"],
        "rows": latest,
    }
