"""The vocabulary of leads: lifecycle stages and interaction kinds (no model imports here)."""

from django.db.models import TextChoices


class Stage(TextChoices):
    LIST = "list", "List (not yet a lead)"
    INQUIRY = "inquiry", "Inquiry"
    SALES_READY = "sales_ready", "Sales-ready"
    WON = "won", "Won"
    UNCLOSED = "unclosed", "Unclosed"
    DEAD = "dead", "Dead"
    CUSTOMER = "customer", "Customer"


# Which stage may follow which (SPEC "The shared language"). `leads.services.change_stage`
# is the one place that moves a lead and it refuses anything not listed here.
TRANSITIONS: dict[str, frozenset[str]] = {
    Stage.LIST: frozenset({Stage.INQUIRY, Stage.DEAD}),
    Stage.INQUIRY: frozenset({Stage.SALES_READY, Stage.WON, Stage.UNCLOSED, Stage.DEAD}),
    Stage.SALES_READY: frozenset({Stage.INQUIRY, Stage.WON, Stage.UNCLOSED, Stage.DEAD}),
    Stage.UNCLOSED: frozenset({Stage.INQUIRY, Stage.SALES_READY, Stage.WON, Stage.DEAD}),
    Stage.WON: frozenset({Stage.CUSTOMER}),
    Stage.DEAD: frozenset(),
    Stage.CUSTOMER: frozenset(),
}

OPEN_STAGES = frozenset({Stage.LIST, Stage.INQUIRY, Stage.SALES_READY, Stage.UNCLOSED})
# Where a lead's story ends, for score analysis: won (or a customer since), unclosed or dead.
OUTCOME_STAGES = (Stage.WON, Stage.CUSTOMER, Stage.UNCLOSED, Stage.DEAD)


class InteractionKind(TextChoices):
    CALL_INBOUND = "call_inbound", "Inbound call"
    CALL_OUTBOUND = "call_outbound", "Outbound call"
    MEETING = "meeting", "Meeting"
    EMAIL_OPEN = "email_open", "E-mail opened"
    EMAIL_CLICK = "email_click", "E-mail link clicked"
    EMAIL_FORWARD = "email_forward", "E-mail forwarded"
    QR_SCAN = "qr_scan", "QR code scanned"
    WEB_VISIT = "web_visit", "Web visit"
    FORM = "form", "Web form submitted"
    LETTER_SENT = "letter_sent", "Letter sent"
    EMAIL_SENT = "email_sent", "E-mail sent"  # by a person, from the lead page (followups.letters.emails)
    NOTE = "note", "Note"
    ANSWERS = "answers", "Scripted answers"
    FOLLOW_UP = "follow_up", "Follow-up call"
    REFERRAL = "referral", "Referred by a customer"


# Kinds only the product logs, as it does what they record: an "E-mail sent" is written with the
# e-mail it queues (followups.letters.emails), never logged by hand or through the API.
LOGGED_BY_THE_PRODUCT = frozenset({InteractionKind.EMAIL_SENT})

# The outbox key of an "E-mail sent" interaction's e-mail: lead-email:<interaction id>
# (followups.letters.emails writes it; the timeline reads whether it went, data_rights finds it).
EMAIL_SENT_KEY = "lead-email:"

# A list name becomes an inquiry when the person responds (SPEC: called, filled a form, scanned).
RESPONSE_KINDS = frozenset({InteractionKind.CALL_INBOUND, InteractionKind.FORM, InteractionKind.QR_SCAN})


class Source(TextChoices):
    WEB_FORM = "web_form", "Web form"
    PHONE = "phone", "Phone call"
    REFERRAL = "referral", "Referral"
    LIST = "list", "Bought or imported list"
    LETTER = "letter", "Letter"
    WALK_IN = "walk_in", "Walk-in"
    API = "api", "Other system (API)"
    OTHER = "other", "Other"
