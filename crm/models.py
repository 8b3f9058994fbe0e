"""Companies and contacts: who the CRM knows, with the ideal-customer-profile facts."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Left, Replace, Right, StrIndex, Upper

from crm.normalize import format_phone
from crm.zones import validate_time_zone


class SizeBand(models.TextChoices):
    MICRO = "1-9", "1–9 employees"
    SMALL = "10-49", "10–49 employees"
    MEDIUM = "50-249", "50–249 employees"
    LARGE = "250-999", "250–999 employees"
    ENTERPRISE = "1000+", "1,000+ employees"


class Company(models.Model):
    name = models.CharField(max_length=200)
    industry_code = models.CharField(
        max_length=10, blank=True, help_text="NAICS or SIC code, e.g. 238220 (plumbing, HVAC)."
    )
    size_band = models.CharField(max_length=10, choices=SizeBand.choices, blank=True)
    head_count = models.PositiveIntegerField(null=True, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True, help_text="State or province.")
    country = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]
        indexes = [models.Index(Upper("name"), name="company_name_upper_idx")]

    def __str__(self):
        return self.name


def _before(text, mark: str):
    """The part of `text` before the first `mark` (all of it when there is none)."""
    return Left(text, StrIndex(Concat(text, Value(mark)), Value(mark)) - 1)


# The keys that find likely duplicates (crm.selectors.duplicate_groups), computed by the database
# from the stored values, so no write can forget them. An address's local part without its plus
# tag and its dots: ann.lee+crm@gmail.com and annlee@work.example both give "annlee". A phone's
# last seven digits: the local number without its area or country code.
EMAIL_LOCAL = Replace(_before(_before(F("email"), "@"), "+"), Value("."), Value(""))
PHONE_ENDING_DIGITS = 7
PHONE_TAIL = Right(F("phone"), PHONE_ENDING_DIGITS)


class Contact(models.Model):
    """A person. Email and phone are stored normalized and are each unique when present."""

    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=150, blank=True)
    persona = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +15551234567.")
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    mailing_address = models.TextField(blank=True, help_text="Where letters go: street, town, postal code.")
    consent = models.BooleanField(default=False, help_text="Agreed to be contacted by marketing.")
    do_not_contact = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    erased_at = models.DateTimeField(
        null=True, blank=True, help_text="When their personal data was erased on request (crm.data_rights)."
    )
    email_local = models.GeneratedField(
        expression=EMAIL_LOCAL,
        output_field=models.CharField(max_length=254),
        db_persist=True,
        help_text="The e-mail's local part without plus tag and dots: finds the same person at another address.",
    )
    phone_tail = models.GeneratedField(
        expression=PHONE_TAIL,
        output_field=models.CharField(max_length=20),
        db_persist=True,
        help_text="The phone's last seven digits: finds the same number typed with another area code.",
    )

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["email"], condition=~Q(email=""), name="contact_unique_email"),
            models.UniqueConstraint(fields=["phone"], condition=~Q(phone=""), name="contact_unique_phone"),
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(phone="") | ~Q(last_name="") | ~Q(first_name=""),
                name="contact_has_a_name_or_address",
            ),
        ]
        indexes = [
            models.Index(Upper("last_name"), name="contact_last_name_upper_idx"),
            # Likely duplicates (crm.selectors.duplicate_groups): each signal groups on its index.
            models.Index(Upper("last_name"), Upper("first_name"), "company", name="contact_name_company_idx"),
            models.Index(fields=["email_local", "id"], name="contact_email_local_idx"),
            models.Index(fields=["phone_tail", "id"], name="contact_phone_tail_idx"),
        ]

    def __str__(self):
        return self.full_name or self.email or format_phone(self.phone)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Submission(models.Model):
    """A browser form that did its work: its one-time token, and what the work made. A second
    submission of the same form (a double click, a re-post on reload, a retry on a slow line)
    finds this row and is shown the first one's result instead of doing the work again."""

    token = models.CharField(max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    result_id = models.BigIntegerField(null=True, help_text="The id of what the work made (a lead, a follow-up…).")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "token"], name="one_submission_per_form")]

    def __str__(self):
        return f"form {self.token[:8]}… by {self.user_id}"


class Suppression(models.Model):
    """An e-mail address or phone number that asked to be forgotten, kept only as a keyed hash
    (crm.suppression) so a later list import can skip it without holding the address itself."""

    class Kind(models.TextChoices):
        EMAIL = "email", "E-mail"
        PHONE = "phone", "Phone"

    kind = models.CharField(max_length=5, choices=Kind.choices)
    digest = models.CharField(max_length=64, help_text="HMAC-SHA256 of the normalized value.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "digest"], name="one_suppression_per_value")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.digest[:12]}…"


class Erasure(models.Model):
    """The audit of one erasure (the right to be forgotten): which contact, who erased it, when,
    and how many rows of each model it touched. It holds no personal data itself: the contact
    row it points to is the anonymized one (data_rights.services.erase_contact)."""

    contact = models.OneToOneField(Contact, on_delete=models.PROTECT, related_name="erasure")
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    erased_at = models.DateTimeField()
    counts = models.JSONField(default=dict, blank=True, help_text='Rows touched per model: {"leads.Interaction": 4}.')

    class Meta:
        ordering = ["-erased_at", "-id"]

    def __str__(self):
        return f"Contact #{self.contact_id} erased {self.erased_at:%Y-%m-%d %H:%M}"


class StaffProfile(models.Model):
    """What a staff user chooses for themselves: the time zone every page shows them times in
    and reads the times they type in (crm.middleware). Blank follows the company's zone
    (CRM_TIME_ZONE), so a user who never chose moves with it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="staff_profile"
    )
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="An IANA name such as America/New_York; blank for the company's (CRM_TIME_ZONE).",
    )

    def __str__(self):
        return f"Settings of {self.user}"
