"""The rejected rows of an import as an HTTP download, for the pages and the API alike."""

from django.http import FileResponse, Http404

from imports import services


def rejected_rows(run) -> FileResponse:
    """The rejected-rows CSV once the import has finished; 404 before, when there were none, or
    once CRM_IMPORT_KEEP_DAYS have passed (the file holds personal data)."""
    if run.is_running or run.status == "draft":
        raise Http404("The rejected rows are ready when the import has finished.")
    if run.rejected_purged_at is not None:
        raise Http404("The rejected rows were deleted after the retention period.")
    path = services.rejected_path(run)
    if path is None or not run.rejected:
        raise Http404("This import rejected no rows.")
    return FileResponse(
        open(path, "rb"),
        content_type="text/csv; charset=utf-8",
        as_attachment=True,
        filename=f"import-{run.pk}-rejected-rows.csv",
    )
