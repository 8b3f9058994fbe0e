"""Every write to leads: stage moves, interactions (with rescoring) and edits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from campaigns.selectors import offer_by_code
from config.errors import Conflict
from leads.kinds import OPEN_STAGES, RESPONSE_KINDS, TRANSITIONS, InteractionKind, Source, Stage
from leads.models import Interaction, Lead, StageChange
from scoring.engine import RuleBook, Score, score
from scoring.services import apply_score, facts_from_rows, published_rule_book, rescore_lead

# Our own outbound letters and internal notes say nothing about the prospect's interest, so they
# do not count as activity (which is what recency decay measures).
PASSIVE_KINDS = frozenset({InteractionKind.LETTER_SENT, InteractionKind.NOTE, InteractionKind.REFERRAL})

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


def resolve_code(offer_code: str = "", letter_code: str = ""):
    """(offer, letter code) for what a caller or form read out: an offer's code, or a letter's
    response code (given as either). Refused (400) when it is neither."""
    from followups.letters.selectors import letter_by_code, normalize_code

    offer = offer_by_code(offer_code) if offer_code else None
    letter = normalize_code(letter_code) if letter_code else ""
    if letter_code and (not letter or letter_by_code(letter) is None):
        raise ValidationError({"letter_code": [f"No letter has the code '{letter_code}'."]})
    if offer_code and offer is None:
        if letter_by_code(offer_code) is None:
            raise ValidationError({"offer_code": [f"No offer or letter has the code '{offer_code}'."]})
        letter = letter or normalize_code(offer_code)
    return offer, letter


def attribute_letter(code: str, metadata: dict | None) -> dict | None:
    """Count a response to the letter with this code; its code goes into the interaction's metadata."""
    if not code:
        return metadata
    from followups.letters.services import attribute_response

    attribute_response(code)
    return {**(metadata or {}), "letter_code": code}


def change_stage(lead: Lead, *, to_stage: str, by=None, reason: str = "") -> StageChange:
    """Move a lead to another stage if the transition table allows it, recording who and why.

    The caller holds the lead's row lock. Refuses with Conflict (409) otherwise.
    """
    if to_stage not in TRANSITIONS.get(lead.stage, ()):
        raise Conflict(f"A lead cannot move from {lead.stage} to {to_stage}.")
    change = StageChange.objects.create(
        lead=lead, from_stage=lead.stage, to_stage=to_stage, changed_by=by, reason=reason[:200]
    )
    lead.stage = to_stage
    fields = ["stage"]
    if to_stage == Stage.INQUIRY and lead.inquired_at is None:
        lead.inquired_at = change.changed_at  # a bought name becomes a lead: its cohort is now
        fields.append("inquired_at")
    if to_stage == Stage.SALES_READY:
        lead.sales_ready_at = change.changed_at  # the pool's waiting time starts here
        fields.append("sales_ready_at")
    lead.save(update_fields=fields)
    return change


def missing_for_sales_ready(lead: Lead, *, book: RuleBook | None = None) -> list[str]:
    """What keeps a lead from being sales-ready under the rules of engagement: `score` and the
    names of required facts not yet recorded. Empty when it qualifies."""
    from leads.models import RulesOfEngagement

    book = book or published_rule_book()
    missing = ["score"] if lead.score < book.thresholds.sales_ready else []
    rules = RulesOfEngagement.objects.filter(pk=1).first()
    for fact in rules.required_facts if rules else ["inquiry_reason", "desired_outcome"]:
        value = getattr(lead, fact, None)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(fact)
    return missing


def describe_missing(missing: list[str], lead: Lead, book: RuleBook | None = None) -> str:
    book = book or published_rule_book()
    words = {
        "score": f"a score of at least {book.thresholds.sales_ready} (now {lead.score})",
        "inquiry_reason": "why they inquired",
        "desired_outcome": "the result they want",
        "estimated_value": "an estimated value",
    }
    return "Not sales-ready yet: needs " + ", ".join(words.get(item, item) for item in missing) + "."


def promote_if_ready(lead: Lead, *, by=None, book: RuleBook | None = None) -> bool:
    """Move an inquiry (or an unclosed lead) to sales_ready once it qualifies. The caller
    holds the lead's row lock. Cheap when the score is below the threshold: no query."""
    book = book or published_rule_book()
    if lead.stage not in (Stage.INQUIRY, Stage.UNCLOSED) or lead.score < book.thresholds.sales_ready:
        return False
    if missing_for_sales_ready(lead, book=book):
        return False
    change_stage(lead, to_stage=Stage.SALES_READY, by=by, reason="Meets the rules of engagement")
    return True


def return_if_unready(lead: Lead, *, by=None, book: RuleBook | None = None) -> bool:
    """An unowned sales-ready lead whose score an interaction took below the threshold (a "just
    looking" answer) leaves the pool for inquiry, as a rescore after a publish does in bulk
    (scoring.services.return_unready_to_inquiry); an owned one stays with its owner. The caller
    holds the lead's row lock. No query unless the lead falls."""
    book = book or published_rule_book()
    if lead.stage != Stage.SALES_READY or lead.owner_id is not None or lead.score >= book.thresholds.sales_ready:
        return False
    reason = f"Score {lead.score} is below sales-ready {book.thresholds.sales_ready}"
    change_stage(lead, to_stage=Stage.INQUIRY, by=by, reason=reason)
    return True


def record_first_stage(lead: Lead, *, by=None, reason: str = "") -> None:
    """The opening entry of a new lead's stage history."""
    StageChange.objects.create(lead=lead, from_stage="", to_stage=lead.stage, changed_by=by, reason=reason[:200])


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
    offer, letter_code = resolve_code(offer_code, letter_code)
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
            metadata=attribute_letter(letter_code, metadata),
            offer=offer,
            book=book,
        )


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
    in the current transaction, with inputs already validated."""
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
        lead.last_contacted_at = occurred_at
        changed.append("last_contacted_at")
        if lead.first_hot_at and lead.hot_response_seconds is None and occurred_at >= lead.first_hot_at:
            lead.hot_response_seconds = int((occurred_at - lead.first_hot_at).total_seconds())
            changed.append("hot_response_seconds")
    if lead.stage == Stage.LIST and kind in RESPONSE_KINDS:
        change_stage(lead, to_stage=Stage.INQUIRY, by=author, reason=f"Responded: {interaction.get_kind_display()}")
    result = rescore_lead(lead, reason=f"{interaction.get_kind_display()} logged", book=book, also_save=changed)
    promote_if_ready(lead, by=author, book=book) or return_if_unready(lead, by=author, book=book)
    return LoggedInteraction(interaction, lead, result)


def open_lead(
    *,
    contact,
    kind: str,
    book: RuleBook,
    by=None,
    note: str = "",
    metadata: dict | None = None,
    stage_reason: str = "",
    **lead_fields,
) -> LoggedInteraction:
    """A new inquiry born from its first interaction (a web form, a call).

    All of a new lead's facts are in hand, so it is scored before it is written: one INSERT
    each for the lead, its first stage, the interaction and the score history, which keeps
    web-form capture, the busiest write, short.
    """
    now = timezone.now()
    lead = Lead(contact=contact, stage=Stage.INQUIRY, inquired_at=now, last_activity_at=now, **lead_fields)
    if by is not None and kind in CONTACT_KINDS:
        lead.last_contacted_at = now
    result = score(facts_from_rows(lead, [(kind, now, metadata, [])], now), book)
    change = apply_score(lead, result, f"{InteractionKind(kind).label} logged", now)
    lead.save()
    record_first_stage(lead, by=by, reason=stage_reason)
    interaction = Interaction.objects.create(
        lead=lead, kind=kind, occurred_at=now, author=by, note=note or "", metadata=metadata or {}
    )
    if change is not None:
        change.lead = lead
        change.save()
    promote_if_ready(lead, by=by, book=book)
    return LoggedInteraction(interaction, lead, result)


def update_lead(lead: Lead, *, by=None, **fields) -> Lead:
    """Edit the facts of a lead that people may change; stage, score and owner move elsewhere."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed here."] for name in sorted(unknown)})
    if not fields:
        return lead
    with transaction.atomic():
        locked = Lead.objects.select_for_update(of=("self",)).get(pk=lead.pk)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(fields))
        promote_if_ready(locked, by=by)  # recording the facts may be what made it ready
    for name in [*fields, "stage", "sales_ready_at"]:
        setattr(lead, name, getattr(locked, name))
    return lead


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
) -> LoggedInteraction:
    """A caller the console did not find: the contact is found or created (never twice), and the
    call is logged on their open lead, or opens a new inquiry whose reason is the CSR's note."""
    from crm.services import find_or_create_contact

    offer, letter_code = resolve_code(offer_code)
    with transaction.atomic():
        metadata = attribute_letter(letter_code, None)
        contact, created = find_or_create_contact(
            email=email, phone=phone, first_name=first_name, last_name=last_name, company_name=company
        )
        book = published_rule_book()
        lead = None if created else locked_open_lead(contact)
        if lead is not None:
            return record_interaction(
                lead, kind=InteractionKind.CALL_INBOUND, book=book, author=by, note=note, offer=offer, metadata=metadata
            )
        attribution = {"offer": offer, "campaign": offer.campaign, "offer_code": offer.code} if offer else {}
        return open_lead(
            contact=contact,
            kind=InteractionKind.CALL_INBOUND,
            book=book,
            by=by,
            note=note,
            metadata=metadata,
            stage_reason="Inbound call",
            source=Source.PHONE,
            inquiry_reason=note,
            **attribution,
        )
