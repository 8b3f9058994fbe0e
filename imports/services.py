"""Every write of list imports: upload a file (a draft: its columns guessed), change how it is
read or mapped, preview it, start it (a background job of kind "import", imports/jobs.py),
discard a draft, and purge the files an import leaves on disk.

The browser goes upload → mapping and preview → start; the API does all of it in one call
(`import_list`). Either way nothing is written to the CRM until the job runs, and a refused
upload (empty, binary, too big, no header, no rows, a mapping without e-mail or phone) leaves
nothing behind, not even the copy of the file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from config.errors import Conflict
from imports import fields as fields_
from imports.fields import CleanRow, Problem, as_price, check_mapping, clean_row, guess_mapping
from imports.models import DuplicatePolicy, ImportMode, ImportRun, Phase
from imports.reading import (
    DELIMITERS,
    ENCODINGS,
    FileTooLarge,
    StoredFile,
    count_unreadable,
    read_layout,
    records,
    store_upload,
)

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 10
__all__ = ["FileTooLarge"]


def uploads_dir() -> Path:
    return Path(settings.CRM_IMPORTS_DIR) / "uploads"


def rejected_dir() -> Path:
    return Path(settings.CRM_IMPORTS_DIR) / "rejected"


def upload_path(run: ImportRun) -> Path | None:
    return uploads_dir() / run.stored_file if run.stored_file else None


def rejected_path(run: ImportRun) -> Path | None:
    if not run.rejected_file or run.rejected_purged_at is not None:
        return None
    path = rejected_dir() / run.rejected_file
    return path if path.exists() else None


# --- Checking what people typed -----------------------------------------------------------------


def _list_fields(list_name, vendor, price) -> tuple[dict, dict]:
    errors, clean = {}, {}
    name = (list_name or "").strip()
    if not name:
        errors["list_name"] = ["Name the list (e.g. “Plumbers, Ohio, spring 2027”): the scoreboard shows it."]
    elif len(name) > 200:
        errors["list_name"] = ["At most 200 characters."]
    clean["list_name"] = name
    clean["vendor"] = (vendor or "").strip()
    if len(clean["vendor"]) > 200:
        errors["vendor"] = ["At most 200 characters."]
    try:
        clean["price"] = as_price(price)
    except ValidationError as exc:
        errors["price"] = exc.messages
    for name_, value in clean.items():
        if isinstance(value, str) and "\x00" in value:
            errors[name_] = ["Text may not contain NUL characters."]
    return clean, errors


def _options(mode, duplicates) -> dict:
    errors = {}
    if mode not in ImportMode.values:
        errors["mode"] = [f"Choose {' or '.join(ImportMode.values)}."]
    if duplicates not in DuplicatePolicy.values:
        errors["duplicates"] = [f"Choose {' or '.join(DuplicatePolicy.values)}."]
    return errors


def _reading_options(encoding, delimiter) -> dict:
    errors = {}
    if encoding not in (None, "") and encoding not in ENCODINGS:
        errors["encoding"] = [f"Choose one of {', '.join(ENCODINGS)}."]
    if delimiter not in (None, "") and delimiter not in DELIMITERS:
        errors["delimiter"] = ["Choose comma, semicolon, tab or pipe."]
    return errors


def mapping_from_headers(header: list[str], given) -> list[str]:
    """The API's mapping ({"CSV header": "field"}) as a field per column; unmapped columns are
    not imported. Headers are matched as written, then in any case and spacing."""
    if not isinstance(given, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in given.items()):
        raise ValidationError({"mapping": ['Give a JSON object: {"CSV header": "field", …}.']})
    mapping, errors = [""] * len(header), []
    for name, key in given.items():
        matches = [i for i, h in enumerate(header) if h == name] or [
            i for i, h in enumerate(header) if fields_.squash(h) == fields_.squash(name) and fields_.squash(name)
        ]
        if not matches:
            errors.append(f"The file has no column “{name}” (its columns: {', '.join(header)}).")
        elif len(matches) > 1:
            errors.append(f"The file has {len(matches)} columns named “{name}”: rename one.")
        else:
            mapping[matches[0]] = key.strip()
    if errors:
        raise ValidationError({"mapping": errors})
    return mapping


# --- Uploading ----------------------------------------------------------------------------------


def _read(upload, *, encoding=None, delimiter=None):
    stored = store_upload(upload, folder=uploads_dir(), max_bytes=settings.CRM_IMPORT_MAX_BYTES)
    try:
        if encoding and encoding != stored.encoding:
            stored.encoding = encoding
            count_unreadable(stored)
        return stored, read_layout(stored, delimiter=delimiter or None)
    except BaseException:
        stored.path.unlink(missing_ok=True)
        raise


def _new_run(stored: StoredFile, layout, *, file_name: str, by, **list_fields) -> ImportRun:
    return ImportRun.objects.create(
        **list_fields,
        file_name=(file_name or "upload.csv")[:255],
        stored_file=stored.path.name,
        size=stored.size,
        encoding=stored.encoding,
        detected_encoding=stored.detected_encoding,
        unreadable_lines=stored.unreadable_lines,
        first_unreadable_line=stored.first_unreadable_line,
        delimiter=layout.delimiter,
        header=layout.header,
        data_offset=layout.data_offset,
        header_lines=layout.header_lines,
        rows_estimate=layout.rows_estimate,
        mapping=guess_mapping(layout.header),
        created_by=by,
    )


def create_draft(*, upload, list_name, vendor="", price=None, by=None) -> ImportRun:
    """Store an uploaded file as a draft import with its columns guessed (the browser's first
    step). Refused with field errors (list_name, vendor, price, file) and nothing kept;
    FileTooLarge past CRM_IMPORT_MAX_BYTES."""
    clean, errors = _list_fields(list_name, vendor, price)
    if upload is None:
        errors["file"] = ["Choose a CSV file."]
    if errors:
        raise ValidationError(errors)
    stored, layout = _read(upload)
    try:
        return _new_run(stored, layout, file_name=getattr(upload, "name", ""), by=by, **clean)
    except BaseException:
        stored.path.unlink(missing_ok=True)
        raise


def _draft(run_id) -> ImportRun:
    run = ImportRun.objects.select_for_update().get(pk=run_id)
    if run.phase != Phase.DRAFT:
        raise Conflict("This import has already started: its columns can no longer change.")
    return run


def _file_of(run: ImportRun) -> Path:
    path = upload_path(run)
    if path is None or not path.exists():
        raise ValidationError({"file": ["The uploaded file is no longer on this server: upload it again."]})
    return path


def change_reading(*, run_id: int, encoding: str, delimiter: str) -> ImportRun:
    """Read a draft's file with another encoding or delimiter (the detected ones were wrong):
    its header is read again and its columns guessed again."""
    errors = _reading_options(encoding, delimiter)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        run = _draft(run_id)
        if (encoding or run.encoding, delimiter or run.delimiter) == (run.encoding, run.delimiter):
            return run
        stored = StoredFile(_file_of(run), run.size, run.detected_encoding, encoding or run.encoding, 0, True)
        layout = read_layout(stored, delimiter=delimiter or run.delimiter)
        if stored.encoding != run.encoding:
            count_unreadable(stored)
            run.unreadable_lines, run.first_unreadable_line = stored.unreadable_lines, stored.first_unreadable_line
        newlines_estimate = run.rows_estimate + run.header_lines
        run.encoding, run.delimiter, run.header = stored.encoding, layout.delimiter, layout.header
        run.data_offset, run.header_lines = layout.data_offset, layout.header_lines
        run.rows_estimate = max(newlines_estimate - layout.header_lines, 1)
        run.mapping = guess_mapping(layout.header)
        run.save()
    return run


def discard_draft(*, run_id: int) -> None:
    """Forget a draft and delete its file."""
    with transaction.atomic():
        run = _draft(run_id)
        path = upload_path(run)
        run.delete()
    if path is not None:
        path.unlink(missing_ok=True)


# --- Previewing ---------------------------------------------------------------------------------


@dataclass
class PreviewRow:
    line: int
    status: str  # new, duplicate, suppressed, error
    row: CleanRow | None
    problems: list[Problem] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)
    duplicate_of: int | None = None


def preview(run: ImportRun, *, mapping: list[str] | None = None, limit: int = PREVIEW_ROWS) -> list[PreviewRow]:
    """The first rows of the file as they would be imported under `mapping` (the run's when
    None): each normalized, with its problems, or marked as a duplicate of a contact already
    known (or of an earlier row) or as suppressed. Writes nothing."""
    from crm.models import Contact
    from crm.suppression import suppressed

    mapping = run.mapping if mapping is None else mapping
    path = upload_path(run)
    if path is None or not path.exists():
        return []
    shown: list[PreviewRow] = []
    with open(path, "rb") as handle:
        for record in records(
            handle, encoding=run.encoding, delimiter=run.delimiter, offset=run.data_offset, line=run.header_lines
        ):
            if record.cells is None:
                shown.append(PreviewRow(record.line, "error", None, [Problem(None, record.error)]))
            else:
                row, problems = clean_row(record.cells, line=record.line, header=run.header, mapping=mapping)
                shown.append(PreviewRow(record.line, "error" if problems else "new", row, problems, record.cells))
            if len(shown) >= limit:
                break
    good = [item for item in shown if item.status == "new"]
    readable = [item for item in shown if item.row is not None]
    emails = {item.row.email for item in readable if item.row.email}
    phones = {item.row.phone for item in readable if item.row.phone}
    gone = suppressed(emails=emails, phones=phones)
    for item in readable:  # as the import will: an erased person's row is suppressed, errors or not
        if ("email", item.row.email) in gone or ("phone", item.row.phone) in gone:
            item.status, item.problems = "suppressed", []
    known = {}
    for name, values in (("email", emails), ("phone", phones)):
        # One plain query a key, as the writer matches (imports.writing): no UNION, which SQLite
        # refuses for querysets that carry Contact's default ordering.
        if values:
            found = Contact.objects.filter(**{f"{name}__in": values}).exclude(**{name: ""}).order_by("pk")
            for pk, value in found.values_list("pk", name):
                known.setdefault((name, value), pk)
    earlier = set()
    for item in good:
        keys = [("email", item.row.email), ("phone", item.row.phone)]
        keys = [key for key in keys if key[1]]
        if any(key in gone for key in keys):
            item.status = "suppressed"
        elif any(key in known for key in keys):
            item.status, item.duplicate_of = "duplicate", next(known[key] for key in keys if key in known)
        elif any(key in earlier for key in keys):
            item.status = "duplicate"
        earlier.update(keys)
    return shown


# --- Starting -----------------------------------------------------------------------------------


def _begin(run: ImportRun, *, mapping: list[str], mode: str, duplicates: str, by) -> ImportRun:
    """Set the choices on a locked draft and start its job (inside the caller's transaction)."""
    from jobs.services import start_job

    _file_of(run)
    errors = {**_options(mode, duplicates), **check_mapping(mapping)}
    if len(mapping) != len(run.header):
        errors["mapping"] = [f"Give a field for each of the {len(run.header)} columns."]
    if errors:
        raise ValidationError(errors)
    passes = 2 if mode == ImportMode.ALL_OR_NOTHING else 1
    run.mapping, run.mode, run.duplicates = mapping, mode, duplicates
    run.phase = Phase.CHECK if passes == 2 else Phase.WRITE
    run.offset, run.line, run.started_at = run.data_offset, run.header_lines, timezone.now()
    run.job = start_job(
        kind="import",
        params={"import": run.pk},
        total=run.rows_estimate * passes,
        id_range=(1, passes * run.size + 1),
        slices=1,
        by=by,
    )
    run.save()
    return run


def start_import(*, run_id: int, mapping: list[str], mode: str, duplicates: str, by=None) -> ImportRun:
    """Start a draft with its mapping and the user's choices (all or nothing or valid rows only;
    skip duplicates or fill their empty fields). Refused with field errors, or Conflict when it
    has already started (a second click starts nothing)."""
    with transaction.atomic():
        return _begin(_draft(run_id), mapping=mapping, mode=mode, duplicates=duplicates, by=by)


def import_list(
    *,
    upload,
    list_name,
    mode,
    duplicates,
    vendor="",
    price=None,
    mapping=None,
    encoding=None,
    delimiter=None,
    by=None,
) -> ImportRun:
    """The API's one call: store, map (guessed from the headers when `mapping` is None) and
    start. Every field is checked before the file is stored, and the file is deleted again if
    the mapping is refused, so a refusal leaves nothing behind."""
    clean, errors = _list_fields(list_name, vendor, price)
    errors |= _options(mode, duplicates) | _reading_options(encoding, delimiter)
    if upload is None:
        errors["file"] = ["Attach the CSV file as `file`."]
    if errors:
        raise ValidationError(errors)
    stored, layout = _read(upload, encoding=encoding, delimiter=delimiter)
    try:
        with transaction.atomic():
            run = _new_run(stored, layout, file_name=getattr(upload, "name", ""), by=by, **clean)
            columns = guess_mapping(layout.header) if mapping is None else mapping_from_headers(layout.header, mapping)
            return _begin(run, mapping=columns, mode=mode, duplicates=duplicates, by=by)
    except BaseException:
        stored.path.unlink(missing_ok=True)
        raise


# --- Files on disk ------------------------------------------------------------------------------


def delete_upload(run: ImportRun) -> None:
    """The uploaded file is needed only while the import runs."""
    path = upload_path(run)
    if path is not None:
        path.unlink(missing_ok=True)
    ImportRun.objects.filter(pk=run.pk).update(stored_file="")
    run.stored_file = ""


def purge_import_files(now=None) -> dict:
    """The retention of the personal data an import leaves on disk: the upload of an import
    that finished or failed (normally deleted when it ends), drafts left for
    CRM_IMPORT_DRAFT_HOURS, and rejected-rows files after CRM_IMPORT_KEEP_DAYS."""
    now = now or timezone.now()
    counts = {"uploads": 0, "drafts": 0, "rejected": 0}
    for run in ImportRun.objects.exclude(stored_file="").exclude(phase=Phase.DRAFT).select_related("job"):
        if run.job is None or run.job.status in ("done", "failed"):
            delete_upload(run)
            counts["uploads"] += 1
    stale = now - timedelta(hours=settings.CRM_IMPORT_DRAFT_HOURS)
    for run in ImportRun.objects.filter(phase=Phase.DRAFT, created_at__lt=stale):
        discard_draft(run_id=run.pk)
        counts["drafts"] += 1
    expired = now - timedelta(days=settings.CRM_IMPORT_KEEP_DAYS)
    for run in ImportRun.objects.exclude(rejected_file="").filter(
        rejected_purged_at__isnull=True, finished_at__lt=expired
    ):
        (rejected_dir() / run.rejected_file).unlink(missing_ok=True)
        ImportRun.objects.filter(pk=run.pk).update(rejected_purged_at=now)
        counts["rejected"] += 1
    if any(counts.values()):
        logger.info("Purged import files: %s", counts)
    return counts
