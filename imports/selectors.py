"""Reads of list imports: how far one has got and what it did, for the API and the pages."""

from __future__ import annotations

from django.db.models import QuerySet

from imports.models import ImportMode, ImportRun, Phase
from imports.reading import DELIMITER_NAMES


def started_imports() -> QuerySet[ImportRun]:
    """Every import that was started (drafts are the browser's, not yet imports), newest first."""
    return ImportRun.objects.exclude(phase=Phase.DRAFT).select_related("job", "bought_list", "created_by")


def running_imports() -> list[ImportRun]:
    """The imports reading or writing now, oldest first, with their job (the progress bar's)."""
    return list(started_imports().filter(job__status__in=["queued", "running"]).order_by("created_at", "id"))


def recent_imports(limit: int = 50) -> list[ImportRun]:
    return list(ImportRun.objects.select_related("job", "bought_list", "created_by")[:limit])


def processed(run: ImportRun) -> int:
    """Rows whose fate is decided: imported, skipped or rejected. An all-or-nothing import's
    check decides nothing until it has read every row (then, with errors, all of them)."""
    if run.refused:
        return run.checked
    if run.phase == Phase.CHECK:
        return 0
    return run.processed


def detail(run: ImportRun) -> str:
    """One sentence on where the import stands, for people."""
    status = run.status
    if run.refused:
        rows = "row has" if run.rejected == 1 else "rows have"
        return f"Nothing was imported: {run.rejected:,} {rows} errors, and the import is all or nothing."
    if status == "failed":
        error = run.job.error if run.job else ""
        return f"The import stopped: {error or 'its worker failed'}. What it wrote is counted below."
    if status == "done":
        return (
            f"Imported: {run.created:,} created, {run.updated:,} updated, {run.duplicate_rows:,} skipped as "
            f"duplicates, {run.suppressed:,} suppressed, {run.rejected:,} rejected."
        )
    if run.phase == Phase.CHECK:
        return f"Checking every row before writing any (all or nothing): {run.checked:,} of about {run.total:,}."
    if status == "running":
        return f"Importing: {run.processed:,} of about {run.total:,} rows."
    return "Waiting for a worker."


def mapping_by_header(run: ImportRun) -> dict[str, str]:
    return {name: key for _i, name, key in run.columns if key}


def import_body(run: ImportRun, request=None) -> dict:
    """The API's view of an import (CONTRACT "Imports and data rights")."""
    rejected_url = None
    if run.rejected and run.rejected_file and run.rejected_purged_at is None and not run.is_running:
        path = f"/api/v1/imports/{run.pk}/rejected/"
        rejected_url = request.build_absolute_uri(path) if request is not None else path
    job = run.job
    return {
        "id": run.pk,
        "status": run.status,
        "detail": detail(run),
        "phase": run.phase,
        "progress": round(job.progress, 4) if job else 0.0,
        "total": run.total,
        "processed": processed(run),
        "created": run.created,
        "updated": run.updated,
        "duplicates": run.duplicate_rows,
        "suppressed": run.suppressed,
        "rejected": run.rejected,
        "errors": run.errors,
        "errors_csv": rejected_url,
        "errors_csv_expired": run.rejected_purged_at is not None,
        "list_name": run.list_name,
        "vendor": run.vendor,
        "price": f"{run.price:.2f}" if run.price is not None else None,
        "bought_list": run.bought_list_id,
        "mode": run.mode,
        "duplicate_policy": run.duplicates,
        "file_name": run.file_name,
        "encoding": run.detected_encoding if run.encoding == _codec(run.detected_encoding) else run.encoding,
        "delimiter": DELIMITER_NAMES.get(run.delimiter, run.delimiter),
        "header": run.header,
        "mapping": mapping_by_header(run),
        "job": run.job_id,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
    }


def _codec(detected: str) -> str:
    return {"Windows-1252": "cp1252", "Latin-1": "latin-1"}.get(detected, "utf-8")


def all_or_nothing(run: ImportRun) -> bool:
    return run.mode == ImportMode.ALL_OR_NOTHING
