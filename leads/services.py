"""Every write to a lead's facts: interactions (each rescoring the lead in the same
transaction), a new lead opened by its first interaction, and edits.

Stage moves are leads.stages', owners leads.ownership's, scores leads.scores'. A prospect
arriving (a form, a call, a referral) comes in through leads.intake, which calls these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from crm.erased import refuse_if_erased
from crm.models import Contact
from crm.services import update_company, update_contact
from leads import codes
from leads.kinds import LOGGED_BY_THE_PRODUCT, OPEN_STAGES, InteractionKind, Stage
from leads.models import Interaction, Lead, StageChange
from leads.scores import apply_score, facts_from_rows, rescore_lead, rescore_many
from leads.stages import first_stage, promote_if_ready, respond, settle
from scoring.engine import RuleBook, Score, score
from scoring.models import ScoreChange
from scoring.services import published_rule_book

# Our own outbound letters and e-mails and internal notes say nothing about the prospect's
# interest, so they do not count as activity (which is what recency decay measures).
PASSIVE_KINDS = frozenset(
    {InteractionKind.LETTER_SENT, InteractionKind.EMAIL_SENT, InteractionKind.NOTE, InteractionKind.REFERRAL}
)

EDITABLE_FIELDS = ("inquiry_reason", "desired_outcome", "estimated_value", "upsell_offered")

# A person of ours spoke with the prospect: what stops the response-time clock of a hot lead.
CONTACT_KINDS = frozenset(
    {InteractionKind.CALL_INBOUND, InteractionKind.CALL_OUTBOUND, InteractionKind.MEETING, InteractionKind.FOLLOW_UP}
)


@dataclass(frozen=True)
class LoggedInteraction:
    interaction: Interaction
    lead: Lead
    score: Score


def validate_answers(answers, book: RuleBook) -> list[dict[str, str]]:
    """Answers as [{"question", "answer"}] with keys that exist in the published questions."""
    if answers in (None, ""):
        return []
    if not isinstance(answers, list):
        raise ValidationError({"answers": ['Give a list of {"question": key, "answer": key}.']})
    clean, errors = [], []
    for pair in answers:
        if (
            not isinstance(pair, dict)
            or not isinstance(pair.get("question"), str)
            or not isinstance(pair.get("answer"), str)
        ):
            errors.append('Each answer is {"question": key, "answer": key}.')
            continue
        question = book.question(pair["question"])
        if question is None:
            errors.append(f"Unknown question '{pair['question']}'.")
        elif question.option(pair["answer"]) is None:
            keys = ", ".join(option.key for option in question.options)
            errors.append(f"Unknown answer '{pair['answer']}' to '{question.key}' (one of: {keys}).")
        else:
            clean.append({"question": question.key, "answer": pair["answer"]})
    if errors:
        raise ValidationError({"answers": errors})
    return clean


def log_interaction(
    *,
    lead_id: int,
    kind: str,
    author=None,
    occurred_at: datetime | None = None,
    note: str = "",
    duration_seconds: int | None = None,
    answers=None,
    metadata: dict | None = None,
    offer_code: str = "",
    letter_code: str = "",
    within: QuerySet[Lead] | None = None,
) -> LoggedInteraction:
    """Record an interaction and rescore the lead in the same transaction.

    The lead row is locked first, so interactions logged at the same moment are applied one
    after another and the score reflects all of them. A `list` contact who responds (calls,
    fills a form, scans a code) becomes an inquiry. `within` limits the leads that may be
    touched (the caller's visible leads); a lead outside it raises Lead.DoesNotExist.
    """
    if kind not in InteractionKind.values:
        raise ValidationError({"kind": [f"Unknown interaction kind '{kind}'."]})
    if kind in LOGGED_BY_THE_PRODUCT:
        why = (
            "An e-mail is logged when it is sent: POST /api/v1/leads/{id}/email/, or Write an e-mail on the lead page."
        )
        raise ValidationError({"kind": [why]})
    code = codes.resolve_known(offer_code, letter_code)
    with transaction.atomic():
        leads = Lead.objects.all() if within is None else within
        lead = (
            leads.select_for_update(of=("self",))
            .select_related(None)
            .select_related("contact__company")
            .get(pk=lead_id)
        )
        # The rules are read once the lead is locked, so a publish that committed meanwhile is seen.
        book = published_rule_book()
        clean_answers = validate_answers(answers, book)
        if kind == InteractionKind.ANSWERS and not clean_answers:
            raise ValidationError({"answers": ["Give at least one answer."]})
        return record_interaction(
            lead,
            kind=kind,
            author=author,
            occurred_at=occurred_at,
            note=note,
            duration_seconds=duration_seconds,
            answers=clean_answers,
            metadata=codes.record_response(code, metadata),
            offer=code.offer,
            book=book,
        )


def log_interaction_and_facts(*, lead_id: int, facts: dict, author=None, **interaction) -> LoggedInteraction:
    """A call logged with what the caller said about why they called and the result they want
    (the console's and the lead page's log form): the interaction (rescored, its stage settled),
    then the facts through `update_lead`, in one transaction. The promotion check after the facts
    sees the call's new score, so a call that qualifies the lead makes it sales-ready at once;
    a refused interaction saves no fact either. `interaction` is log_interaction's arguments."""
    with transaction.atomic():
        logged = log_interaction(lead_id=lead_id, author=author, **interaction)
        if facts:
            update_lead(logged.lead, by=author, **facts)
    return logged


def record_interaction(
    lead: Lead,
    *,
    kind: str,
    book: RuleBook,
    author=None,
    occurred_at: datetime | None = None,
    note: str = "",
    duration_seconds: int | None = None,
    answers: list | None = None,
    metadata: dict | None = None,
    offer=None,
) -> LoggedInteraction:
    """The writing half of log_interaction, for a lead the caller has locked (or just created)
    in the current transaction, with inputs already validated. Refused for an erased contact
    (crm.erased): nothing more is recorded about them."""
    refuse_if_erased(lead.contact)
    occurred_at = occurred_at or timezone.now()
    interaction = Interaction.objects.create(
        lead=lead,
        kind=kind,
        occurred_at=occurred_at,
        author=author,
        note=note or "",
        duration_seconds=duration_seconds,
        answers=answers or [],
        metadata=metadata or {},
        offer=offer,
    )
    changed = []
    if kind not in PASSIVE_KINDS and (lead.last_activity_at is None or occurred_at > lead.last_activity_at):
        lead.last_activity_at = occurred_at
        changed.append("last_activity_at")
    if offer is not None and lead.offer_id is None:
        lead.offer, lead.campaign = offer, offer.campaign
        changed += ["offer", "campaign"]
    if author is not None and kind in CONTACT_KINDS:
        # A call logged late never moves the last contact back. The call that makes a lead hot
        # is before its hot spell (hot_since is set by the rescore below): a hot lead waits for
        # sales' call after it turned hot, however it turned hot (seed 002).
        lead.last_contacted_at = max(occurred_at, lead.last_contacted_at or occurred_at)
        changed.append("last_contacted_at")
        if lead.first_hot_at and lead.hot_response_seconds is None and occurred_at >= lead.first_hot_at:
            lead.hot_response_seconds = int((occurred_at - lead.first_hot_at).total_seconds())
            changed.append("hot_response_seconds")
    respond(lead, kind=kind, by=author)
    result = rescore_lead(
        lead, reason=f"{interaction.get_kind_display()} logged", book=book, also_save=changed, interaction=interaction
    )
    settle(lead, book=book, by=author)
    return LoggedInteraction(interaction, lead, result)


@dataclass(frozen=True)
class NewLead:
    """A new inquiry's rows, built and scored in memory, none of them written (`new_lead`)."""

    lead: Lead
    first_stage: StageChange
    interaction: Interaction
    score_change: ScoreChange | None
    score: Score


def new_lead(
    *,
    contact,
    kind: str,
    book: RuleBook,
    by=None,
    note: str = "",
    metadata: dict | None = None,
    stage_reason: str = "",
    **lead_fields,
) -> NewLead:
    """The rows of a new inquiry born from its first interaction: the lead, scored before it is
    written (all of its facts are in hand), its first stage, the interaction and the score
    history. `open_lead` writes them; leads.intake's `receive_new` writes them and the contact
    in one statement."""
    now = timezone.now()
    lead = Lead(contact=contact, stage=Stage.INQUIRY, inquired_at=now, last_activity_at=now, **lead_fields)
    if by is not None and kind in CONTACT_KINDS:
        lead.last_contacted_at = now
    result = score(facts_from_rows(lead, [(kind, now, metadata, [])], now), book)
    change = apply_score(lead, result, f"{InteractionKind(kind).label} logged", now)
    interaction = Interaction(
        lead=lead, kind=kind, occurred_at=now, author=by, note=note or "", metadata=metadata or {}
    )
    return NewLead(lead, first_stage(lead, by=by, reason=stage_reason), interaction, change, result)


def open_lead(*, book: RuleBook, by=None, **inquiry) -> LoggedInteraction:
    """A new inquiry born from its first interaction (a web form, a call): `new_lead`'s rows
    (`inquiry`: the rest of new_lead's arguments), one INSERT each, then sales-ready at once if
    it already meets the rules of engagement."""
    rows = new_lead(book=book, by=by, **inquiry)
    lead = rows.lead
    lead.save(force_insert=True)
    rows.first_stage.save(force_insert=True)
    rows.interaction.save(force_insert=True)
    if rows.score_change is not None:
        rows.score_change.save(force_insert=True)
    promote_if_ready(lead, by=by, book=book)
    return LoggedInteraction(rows.interaction, lead, rows.score)


def update_lead(lead: Lead, *, by=None, **fields) -> Lead:
    """Edit the facts of a lead that people may change; stage, score and owner move elsewhere.
    Refused for an erased contact (crm.erased)."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed here."] for name in sorted(unknown)})
    if not fields:
        return lead
    with transaction.atomic():
        locked = Lead.objects.select_for_update(of=("self",)).select_related("contact").get(pk=lead.pk)
        refuse_if_erased(locked.contact)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(fields))
        promote_if_ready(locked, book=published_rule_book(), by=by)  # recording the facts may be what made it ready
    for name in [*fields, "stage", "sales_ready_at"]:
        setattr(lead, name, getattr(locked, name))
    return lead


# What the engine's profile-fit rules read of a contact (leads.scores.facts_from_rows).
SCORED_CONTACT_FIELDS = {"title": "title", "persona": "persona", "company_id": "company"}


def edit_lead(lead: Lead, *, contact_changes: dict, lead_changes: dict, by=None) -> bool:
    """Correct a lead and its contact together or not at all (the lead page's Edit), through
    crm.services.update_contact and `update_lead` (what the API's PATCH calls), which promotes
    an inquiry that now meets the rules of engagement. A corrected title, persona or company is
    what profile-fit points read, so the contact's open leads are rescored at once (as a company
    page's edit does), not at their next interaction. Returns whether the lead became
    sales-ready."""
    was = lead.stage
    with transaction.atomic():
        if contact_changes:
            before = Contact.objects.filter(pk=lead.contact_id).values(*SCORED_CONTACT_FIELDS).first() or {}
            contact = update_contact(contact_id=lead.contact_id, **contact_changes)
            moved = [
                label for name, label in SCORED_CONTACT_FIELDS.items() if before.get(name) != getattr(contact, name)
            ]
            if moved:
                their_leads = Lead.objects.filter(contact_id=contact.pk)
                _rescore_open_leads(their_leads, reason=f"Contact profile changed: {', '.join(moved)}", by=by)
                lead.refresh_from_db()
            lead.contact = contact
        update_lead(lead, by=by, **lead_changes)
    return lead.stage == Stage.SALES_READY and was != Stage.SALES_READY


RESCORE_CHUNK = 1000  # leads rescored in one transaction


def _rescore_open_leads(leads: QuerySet[Lead], *, reason: str, by=None) -> int:
    """Rescore the open ones of `leads` after a profile they are scored on was corrected, in
    chunks as a publish does (leads.scores.rescore_many: a score history row for each lead that
    moved; an inquiry that now qualifies becomes sales-ready, an unowned sales-ready lead that
    fell goes back to inquiry), the stage history naming `reason` and its author `by`."""
    ids = list(leads.filter(stage__in=list(OPEN_STAGES)).order_by("pk").values_list("pk", flat=True))
    book = published_rule_book()
    for start in range(0, len(ids), RESCORE_CHUNK):
        rescore_many(ids[start : start + RESCORE_CHUNK], book=book, reason=reason, by=by, rules_changed=False)
    return len(ids)


def locked_open_lead(contact) -> Lead | None:
    """A returning person's newest open lead, row-locked, with its contact attached: where a new
    form or call belongs (a new lead is opened only when there is none)."""
    lead = (
        Lead.objects.select_for_update(of=("self",))
        .filter(contact=contact, stage__in=list(OPEN_STAGES))
        .order_by("-created_at", "-id")
        .first()
    )
    if lead is not None:
        lead.contact = contact
    return lead


@dataclass(frozen=True)
class CompanyEdit:
    company: object  # crm.Company
    changed: list[str]
    rescored: int  # the company's open leads rescored


def edit_company_profile(*, company_id: int, by=None, **facts) -> CompanyEdit:
    """Correct a company's ideal-customer-profile facts (crm.services.update_company) and rescore
    its open leads at once: profile-fit points read these facts (the industry code, the size
    band, the region…), so a lead's score would otherwise say the old company until its next
    interaction. One transaction: the facts and the scores they give change together. Each chunk
    is rescored as a publish does (leads.scores.rescore_many: a score history row for each lead
    that moved, and an inquiry that now qualifies becomes sales-ready). Nothing changed, nothing
    rescored."""
    with transaction.atomic():
        company, changed = update_company(company_id=company_id, **facts)
        if not changed:
            return CompanyEdit(company, changed, 0)
        labels = ", ".join(type(company)._meta.get_field(name).verbose_name for name in changed)
        company_leads = Lead.objects.filter(contact__company_id=company_id)
        rescored = _rescore_open_leads(company_leads, reason=f"Company profile changed: {labels}", by=by)
    return CompanyEdit(company, changed, rescored)
