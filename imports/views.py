"""The import page, for marketing and managers: upload a bought list, map its columns (guessed
from the headers), preview the first rows as they would be imported, choose what errors and
duplicates do, then watch the import run and read what it did, with the rejected rows as a CSV.
Thin: the work is in imports.services."""

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from config.errors import Conflict
from crm.access import role_required
from crm.roles import Role
from crm.submissions import submit_once
from imports import downloads, selectors, services
from imports.forms import MappingForm, ReadingForm, UploadForm
from imports.models import ImportRun, Phase
from imports.reading import DELIMITER_NAMES, ENCODINGS
from imports.uploads import too_large, too_large_message

logger = logging.getLogger(__name__)
marketing_only = role_required(Role.MARKETING, Role.MANAGER)


def _add_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@marketing_only
def imports_home(request):
    """GET: the upload form and the imports so far. POST: store the file as a draft and go on
    to its mapping (once, however many times the form is sent)."""
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if too_large(request):
            form.is_valid()
            form.errors.pop("file", None)
            form.add_error("file", too_large_message())
            status = 413
        elif form.is_valid():
            values = form.cleaned_data

            def upload() -> int:
                return services.create_draft(
                    upload=values["file"],
                    list_name=values["list_name"],
                    vendor=values["vendor"],
                    price=values["price"],
                    by=request.user,
                ).pk

            try:
                run_id, _first = submit_once(request, upload)
            except ValidationError as exc:
                _add_errors(form, exc)
            except services.FileTooLarge:
                form.add_error("file", too_large_message())
                status = 413
            else:
                return redirect("import-detail", pk=run_id)
        if status == 200:
            status = 400
    context = {"form": form, "imports": selectors.recent_imports()}
    return render(request, "imports/imports.html", context, status=status)


def _preview(run: ImportRun, mapping: list[str]) -> tuple[list, bool]:
    """The preview rows, and whether making them failed. A draft's page must always open, so
    that its reading can be changed or the draft discarded: a preview that fails (a bug, a
    file that cannot be read) is logged and the page says so instead of answering 500."""
    try:
        with transaction.atomic():  # a failed query must not poison the rest of the request
            return services.preview(run, mapping=mapping), False
    except Exception:  # whatever went wrong, the page and its Discard button still work
        logger.exception("The preview of import #%s failed", run.pk)
        return [], True


def _mapping_page(request, run: ImportRun, form: MappingForm | None = None, status: int = 200):
    form = form or MappingForm(header=run.header, mapping=run.mapping)
    rows, preview_failed = _preview(run, form.mapping())
    first = next((item.cells for item in rows if len(item.cells) == len(run.header)), [""] * len(run.header))
    context = {
        "run": run,
        "form": form,
        "columns": list(zip(form.column_fields(), first, strict=True)),
        "reading": ReadingForm(initial={"encoding": run.encoding, "delimiter": run.delimiter}),
        "delimiter_name": DELIMITER_NAMES.get(run.delimiter, run.delimiter),
        "encoding_name": ENCODINGS.get(run.encoding, run.encoding),
        "preview": rows,
        "preview_failed": preview_failed,
        "file_gone": services.upload_path(run) is None or not services.upload_path(run).exists(),
    }
    return render(request, "imports/mapping.html", context, status=status)


def _result_context(run: ImportRun) -> dict:
    return {"run": run, "detail": selectors.detail(run), "processed": selectors.processed(run)}


@marketing_only
def import_detail(request, pk):
    """A draft: its mapping and preview. Started: its progress (the part htmx polls) and result."""
    run = get_object_or_404(ImportRun.objects.select_related("job", "bought_list", "created_by"), pk=pk)
    if run.phase == Phase.DRAFT:
        return _mapping_page(request, run)
    if request.htmx:
        return render(request, "imports/_result.html", _result_context(run))
    return render(request, "imports/import.html", _result_context(run))


@marketing_only
@require_POST
def import_preview(request, pk):
    """The first rows under the mapping as it stands in the form (htmx: the preview alone)."""
    run = get_object_or_404(ImportRun, pk=pk, phase=Phase.DRAFT)
    form = MappingForm(request.POST, header=run.header, mapping=run.mapping)
    if request.htmx:
        rows, preview_failed = _preview(run, form.mapping())
        context = {"run": run, "preview": rows, "preview_failed": preview_failed}
        return render(request, "imports/_preview.html", context)
    return _mapping_page(request, run, form)


@marketing_only
@require_POST
def import_reading(request, pk):
    run = get_object_or_404(ImportRun, pk=pk)
    form = ReadingForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an encoding and a delimiter from the lists.")
        return redirect("import-detail", pk=run.pk)
    try:
        services.change_reading(run_id=run.pk, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, "The file cannot be read that way: " + " ".join(exc.messages))
    except Conflict as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Read again: check the columns below.")
    return redirect("import-detail", pk=run.pk)


@marketing_only
@require_POST
def import_start(request, pk):
    run = get_object_or_404(ImportRun, pk=pk)
    if run.phase != Phase.DRAFT:
        return redirect("import-detail", pk=run.pk)  # started already: show how it goes
    form = MappingForm(request.POST, header=run.header, mapping=run.mapping)
    if form.is_valid():

        def start() -> int:
            return services.start_import(
                run_id=run.pk,
                mapping=form.mapping(),
                mode=form.cleaned_data["mode"],
                duplicates=form.cleaned_data["duplicates"],
                by=request.user,
            ).pk

        try:
            submit_once(request, start)
        except ValidationError as exc:
            _add_errors(form, exc)
        except Conflict as exc:
            messages.info(request, exc.detail)
            return redirect("import-detail", pk=run.pk)
        else:
            return redirect("import-detail", pk=run.pk)
    return _mapping_page(request, run, form, status=400)


@marketing_only
@require_POST
def import_discard(request, pk):
    run = get_object_or_404(ImportRun, pk=pk)
    try:
        services.discard_draft(run_id=run.pk)
    except Conflict as exc:
        messages.error(request, exc.detail)
        return redirect("import-detail", pk=run.pk)
    messages.success(request, f"“{run.file_name}” was discarded: nothing was imported.")
    return redirect("imports")


@marketing_only
def import_rejected(request, pk):
    return downloads.rejected_rows(get_object_or_404(ImportRun.objects.select_related("job"), pk=pk))
