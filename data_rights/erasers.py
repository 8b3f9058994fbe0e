"""What erasure does to each model's rows of one contact (data_rights.registry says which
function serves which model). Each takes the Scope, works on its snapshot of ids with a few
queryset updates, and returns how many rows it touched (the audit's counts).

The caller (data_rights.services.erase_contact) holds the contact's and its leads' row locks
inside one transaction. Free text that people typed about the contact (notes, reasons, answers)
is blanked; text the product wrote that names them (in other people's records too: "Referred by
Ada Lovelace") has the name replaced; ids, stages, amounts and dates stay, so every figure does.
"""

from __future__ import annotations

from django.db.models import F, Value
from django.db.models.functions import Replace

from crm.models import Company, Contact
from crm.suppression import suppress
from data_rights.scope import (
    CLOSED_REASON,
    EMAIL_SUBJECT,
    ERASED_COMPANY,
    ERASED_FIRST_NAME,
    ERASED_IN_TEXT,
    ERASED_LAST_NAME,
    ERASED_REPR,
    FOLLOWUP_CANCELLED,
    NOTIFICATION_TEXT,
    Scope,
)
from followups.models import OPEN_FOLLOWUP_STATUSES, FollowUp, FollowUpStatus, Letter, LetterStatus
from leads.kinds import OPEN_STAGES, Stage
from leads.models import ContactMerge, IdempotencyRecord, Interaction, Lead, LeadFeedback, StageChange
from leads.scores import forget_tallies, rescore_lead
from leads.stages import change_stage
from notifications.models import Notification
from nurture.models import Enrolment, EnrolmentStatus, ExitReason
from outbox.models import Email
from scoring.models import ScoreChange

# The interaction metadata that links records (ids, the letter code, the form's name) and says
# nothing about the person; every other key (answers as read out, pages, anything a client
# sent) goes. The erased leads are all closed, so their scores no longer read it.
KEPT_METADATA = ("form", "letter_code", "referrer_lead", "referrals", "followup", "followup_kind", "merge")


def _scrubbed(scope: Scope, name: str):
    """The text field `name` with every word that names the contact replaced."""
    expression = F(name)
    for text in scope.identifiers:
        expression = Replace(expression, Value(text), Value(ERASED_IN_TEXT))
    return expression


def contact(scope: Scope) -> int:
    """The row stays (leads, letters and the audit point at it), known only as "Erased contact":
    no e-mail, phone, title, persona or address; never contacted again."""
    return Contact.objects.filter(pk=scope.contact.pk).update(
        first_name=ERASED_FIRST_NAME,
        last_name=ERASED_LAST_NAME,
        title="",
        persona="",
        email="",
        phone="",
        mailing_address="",
        consent=False,
        do_not_contact=True,
        erased_at=scope.now,
        updated_at=scope.now,
    )


def company(scope: Scope) -> int:
    """A company other (not erased) contacts still work at is the organisation's, not the
    person's, and stays as it is. One only they used may be a one-person business named after
    them: its name, town and postal code go; the profile facts the reports group by (industry,
    size, head count, region, country) stay."""
    pk = scope.contact.company_id
    if pk is None:
        return 0
    shared = Contact.objects.filter(company_id=pk, erased_at__isnull=True).exclude(pk=scope.contact.pk).exists()
    if shared:
        return 0
    return Company.objects.filter(pk=pk).update(name=ERASED_COMPANY, city="", postal_code="")


def lead(scope: Scope) -> int:
    """Why they inquired, what they wanted, why they were lost and a code they typed that matched
    nothing are blanked. An open lead is closed dead ("Contact erased on request"): nobody may
    contact them now, so it leaves the queues, the pool and the letter selections, and its score
    is pinned at 0 through the usual stage move and rescore. Won amounts, stages, sources,
    campaigns, UTM fields, owners and dates stay: the scoreboard counts them as before. The leads
    they referred keep their link to the referrer; their "Referred by …" loses the name. The
    profile a lead closed with (its title, its company's fields) goes too."""
    own = scope.rows(Lead)
    touched = own.update(inquiry_reason="", desired_outcome="", lost_reason="", closing_profile=None)
    own.filter(offer_code_problem="unknown").update(offer_code="")
    for row in own.filter(stage__in=list(OPEN_STAGES)).select_related("contact__company").order_by("pk"):
        change_stage(row, to_stage=Stage.DEAD, by=scope.by, reason=CLOSED_REASON)
        row.closed_at, row.lost_reason = scope.now, CLOSED_REASON
        row.sales_cycle_days = (scope.now - row.created_at).days
        rescore_lead(row, reason=CLOSED_REASON, also_save=["closed_at", "lost_reason", "sales_cycle_days"])
    texts = ("inquiry_reason", "desired_outcome", "lost_reason")
    referred = Lead.objects.filter(pk__in=scope.referred_lead_ids).filter(scope.naming(*texts))
    touched += referred.update(**{name: _scrubbed(scope, name) for name in texts})
    return touched


def interaction(scope: Scope) -> int:
    """Notes and scripted answers go; metadata keeps only its links (KEPT_METADATA). The kind,
    time, author, duration and offer stay: the activity counts and the letter responses. The
    leads' score tallies, counted from the answers and metadata that went, are forgotten (NULL:
    a later rescore counts what is left)."""
    rows = list(scope.rows(Interaction).only("pk", "metadata"))
    for row in rows:
        metadata = row.metadata if isinstance(row.metadata, dict) else {}
        row.metadata = {key: metadata[key] for key in KEPT_METADATA if key in metadata}
        row.note, row.answers = "", []
    Interaction.objects.bulk_update(rows, ["note", "answers", "metadata"], batch_size=500)
    forget_tallies(scope.lead_ids)
    return len(rows)


def stage_change(scope: Scope) -> int:
    """A close's reason was typed by a person (why it was lost): blanked. Other reasons are the
    product's ("Web form: …", "Referred by …"): the name is replaced. Also in the leads they
    referred, whose first stage says who referred them."""
    closes = [Stage.WON, Stage.UNCLOSED, Stage.DEAD]
    own = scope.rows(StageChange)
    touched = own.filter(to_stage__in=closes).update(reason="")
    touched += own.exclude(to_stage__in=closes).filter(scope.naming("reason")).update(reason=_scrubbed(scope, "reason"))
    referred = StageChange.objects.filter(lead_id__in=scope.referred_lead_ids).filter(scope.naming("reason"))
    touched += referred.update(reason=_scrubbed(scope, "reason"))
    return touched


def score_change(scope: Scope) -> int:
    """The product's own reasons ("Inbound call logged"): kept, a name in them replaced."""
    return scope.rows(ScoreChange).filter(scope.naming("reason")).update(reason=_scrubbed(scope, "reason"))


def kept(scope: Scope) -> int:
    """Nothing personal in these rows (who handled the lead, which offer it redeemed, the audit
    itself): they stay as they are, pointing at the anonymized lead."""
    return 0


def feedback(scope: Scope) -> int:
    """The rating stays (lead quality per source); the reason sales gave is blanked."""
    return scope.rows(LeadFeedback).update(reason="")


def notification(scope: Scope) -> int:
    """The message named them ("Hot lead Ada Lovelace has waited…", a follow-up's note): it is
    replaced; its recipient, lead and time stay."""
    return scope.rows(Notification).update(message=NOTIFICATION_TEXT)


def idempotency_record(scope: Scope) -> int:
    """A stored capture answer, replayed to a retry of the same form: deleted with the hash of
    the body they typed. A retry of that form after the erasure is a new submission."""
    return scope.rows(IdempotencyRecord).delete()[0]


def followup(scope: Scope) -> int:
    """Open follow-ups are cancelled (skipped, with the reason, by whoever erased); every
    follow-up loses its note, answers and outcome. The planned script (the product's questions)
    and the dates stay."""
    rows = scope.rows(FollowUp)
    open_pks = list(rows.filter(status__in=OPEN_FOLLOWUP_STATUSES).values_list("pk", flat=True))
    touched = FollowUp.objects.filter(pk__in=open_pks).update(
        status=FollowUpStatus.SKIPPED,
        outcome=FOLLOWUP_CANCELLED,
        completed_at=scope.now,
        completed_by=scope.by,
        note="",
        answers={},
    )
    touched += rows.exclude(pk__in=open_pks).update(note="", answers={}, outcome="")
    return touched


def letter(scope: Scope) -> int:
    """A letter whose batch has not yet been printed (its combined PDF is written when the batch
    ends) is cancelled, so it never goes out; every letter loses its subject and text as sent
    (the name and address were merged in). Codes, dates and responses stay: the letters' rates.
    A batch already printed has its PDF on disk written again without them (letters.py)."""
    rows = scope.rows(Letter)
    rows.filter(status=LetterStatus.SENT, batch__pdf="").update(status=LetterStatus.CANCELLED)
    printed = rows.filter(status=LetterStatus.SENT).exclude(batch__pdf="")
    scope.pdf_batches |= set(printed.values_list("batch", flat=True))
    return rows.update(subject="", text="", error="")


def contact_merge(scope: Scope) -> int:
    """A duplicate record merged into them was the same person: its name, e-mail and phone go
    from the audit, and its e-mail and phone join the suppression list as the contact's own do.
    Who merged which ids, when, and which leads moved stay."""
    rows = scope.rows(ContactMerge)
    for address, phone in rows.values_list("merged_email", "merged_phone"):
        suppress(email=address, phone=phone)
    return rows.update(merged_name="", merged_email="", merged_phone="")


def email(scope: Scope) -> int:
    """E-mails to them or about them (their letters, notifications naming them) not yet sent are
    deleted, so they never go; sent ones keep their key (so nothing sends them again) and their
    time, and lose the address, subject and body."""
    rows = scope.rows(Email)
    touched = rows.filter(sent_at__isnull=True).delete()[0]
    touched += rows.update(to_address="", subject=EMAIL_SUBJECT, text="", html="", last_error="")
    return touched


def admin_log(scope: Scope) -> int:
    """The admin's history of changes to their rows names them in its object's description
    ("Lead #4 – Ada Lovelace") and its message: both replaced; who changed what when stays."""
    from django.contrib.admin.models import LogEntry

    return scope.rows(LogEntry).update(object_repr=ERASED_REPR, change_message="")


def enrolment(scope: Scope) -> int:
    """Their active enrolments in nurture sequences end, with the reason erased: nothing more is
    sent to them. The rows (which sequence, when, which steps) hold nothing else about them."""
    rows = Enrolment.objects.filter(pk__in=scope.pks.get("nurture.Enrolment", []), status=EnrolmentStatus.ACTIVE)
    return rows.update(
        status=EnrolmentStatus.EXITED, exit_reason=ExitReason.ERASED, ended_at=scope.now, due_at=None, waiting=False
    )


def deleting(label: str):
    """An eraser that deletes the snapshot's rows of one model."""
    from django.apps import apps

    def erase(scope: Scope) -> int:
        model = apps.get_model(label)
        return model._default_manager.filter(pk__in=scope.pks.get(label, [])).delete()[0]

    erase.__doc__ = f"{label}: deleted."
    return erase
