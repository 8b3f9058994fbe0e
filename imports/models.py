"""Bought lists and their imports.

A bought list is a source (seed 001: "you have purchased a list", not leads): its name, vendor
and price, so the scoreboard can say what it earned. Every name it brought is a contact with a
lead at stage `list` whose `bought_list` is this row (leads.Lead.bought_list).

An import run is one CSV file read into the CRM by a background job (jobs.kinds "import"). Its
row is also the job's cursor: the byte offset and line number reached, and every count, commit
in the same transaction as the contacts and leads of each chunk. Nothing here points at a
contact or a lead, and the uploaded file and the rejected rows live on disk
(CRM_IMPORTS_DIR) with a retention (imports.services.purge_import_files), since both hold
personal data.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class BoughtList(models.Model):
    """A list of names bought from a broker (or otherwise imported): a source with a cost."""

    name = models.CharField(max_length=200)
    vendor = models.CharField(max_length=200, blank=True, help_text="Who sold it (the list broker).")
    price = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="What it cost, in CRM_CURRENCY."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="bought_list_price_not_negative")]

    def __str__(self):
        return f"{self.name} ({self.vendor})" if self.vendor else self.name


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", "All or nothing: if any row has an error, import nothing"
    VALID_ROWS = "valid_rows", "Valid rows only: import them and report the rejected ones"


class DuplicatePolicy(models.TextChoices):
    SKIP = "skip", "Skip them: leave the contact as it is"
    FILL_EMPTY = "fill_empty", "Fill in the contact's empty fields only"


class Phase(models.TextChoices):
    DRAFT = "draft", "Not started: mapping the columns"
    CHECK = "check", "Checking every row (all or nothing)"
    WRITE = "write", "Importing"
    DONE = "done", "Finished"


class ImportRun(models.Model):
    """One CSV file imported as a bought list (see the module docstring)."""

    # What the user said about the list; the BoughtList is made by the first chunk that writes,
    # so an import refused as a whole (all or nothing) leaves no list, and no cost, behind.
    list_name = models.CharField(max_length=200)
    vendor = models.CharField(max_length=200, blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    bought_list = models.OneToOneField(
        BoughtList, null=True, blank=True, on_delete=models.PROTECT, related_name="import_run"
    )
    job = models.OneToOneField("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    # The file, as read at upload.
    file_name = models.CharField(max_length=255, help_text="As uploaded.")
    stored_file = models.CharField(
        max_length=100, blank=True, help_text="Under CRM_IMPORTS_DIR/uploads; blank once deleted."
    )
    size = models.BigIntegerField(help_text="Bytes, as stored (UTF-16 is stored as UTF-8).")
    encoding = models.CharField(max_length=20, help_text="The Python codec the rows are read with.")
    detected_encoding = models.CharField(max_length=20, help_text="What the upload was detected as.")
    unreadable_lines = models.PositiveIntegerField(
        default=0, help_text="Lines that are not text in `encoding`: their rows are rejected, never guessed."
    )
    first_unreadable_line = models.PositiveIntegerField(null=True, blank=True)
    delimiter = models.CharField(max_length=1)
    header = models.JSONField(default=list)
    data_offset = models.BigIntegerField(help_text="Byte offset of the first row after the header.")
    header_lines = models.PositiveIntegerField(default=1, help_text="Physical lines the header takes.")
    rows_estimate = models.PositiveIntegerField(default=0)

    # The user's choices.
    mapping = models.JSONField(default=list, help_text="The field each column goes to, in column order; '' skips it.")
    mode = models.CharField(max_length=16, choices=ImportMode.choices, default=ImportMode.VALID_ROWS)
    duplicates = models.CharField(max_length=10, choices=DuplicatePolicy.choices, default=DuplicatePolicy.SKIP)

    # The cursor (committed with each chunk) and the tally.
    phase = models.CharField(max_length=5, choices=Phase.choices, default=Phase.DRAFT)
    offset = models.BigIntegerField(default=0, help_text="The next byte to read.")
    line = models.PositiveIntegerField(default=0, help_text="The last physical line read.")
    checked = models.PositiveIntegerField(default=0, help_text="Rows read by the all-or-nothing check.")
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    duplicate_rows = models.PositiveIntegerField(default=0)
    suppressed = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text='The first 100: [{"line", "column", "message"}].')
    refused = models.BooleanField(default=False, help_text="All or nothing found errors: nothing was written.")
    rejected_file = models.CharField(max_length=100, blank=True, help_text="Under CRM_IMPORTS_DIR/rejected.")
    rejected_bytes = models.BigIntegerField(default=0, help_text="How much of the rejected file is committed.")
    rejected_purged_at = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["phase", "created_at"], name="import_phase_created_idx")]

    def __str__(self):
        return f"Import #{self.pk}: {self.list_name}"

    @property
    def status(self) -> str:
        """draft, then the contract's queued, running, done or failed. An all-or-nothing import
        that found errors wrote nothing: it is `failed`, and `refused` says why."""
        if self.job_id is None:
            return "draft" if self.phase == Phase.DRAFT else "failed"
        status = self.job.status
        if status == "done" and self.refused:
            return "failed"
        return status

    @property
    def is_running(self) -> bool:
        return self.status in ("queued", "running")

    @property
    def total(self) -> int:
        """Rows in the file: counted once read, estimated from its line breaks before."""
        if self.phase == Phase.DONE:
            return self.checked if self.refused else self.processed
        return max(self.rows_estimate, self.processed, self.checked)

    @property
    def columns(self) -> list[tuple[int, str, str]]:
        """(index, header, field) of every column."""
        mapping = self.mapping or [""] * len(self.header)
        return [(i, name, mapping[i] if i < len(mapping) else "") for i, name in enumerate(self.header)]
