"""The scoring pages: marketing tunes the rules in a draft, previews it, publishes it, and reads
or restores the versions published before."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from config.errors import Conflict, error_text
from config.ids import parse_int
from crm.access import role_required
from crm.roles import Role
from jobs.models import Job
from jobs.selectors import job_context
from scoring import selectors, services
from scoring.diff import change_lines, diff_definitions
from scoring.editor import definition_from_json, definition_from_numbers, editor_sections, input_labels, number_inputs
from scoring.models import RuleSet, RuleSetStatus

marketing_only = role_required(Role.MARKETING, Role.MANAGER)


def _page(request, draft, errors=None, json_text=None, status=200, preview=None, shown=None):
    """The scoring page. `shown` is a definition that was posted but not saved: the editor shows
    it back with its errors or its preview, while the summary of the draft reads the saved one."""
    errors = errors or {}
    shown = draft.definition if shown is None else shown
    published = RuleSet.objects.select_related("published_by").get(status=RuleSetStatus.PUBLISHED)
    return render(
        request,
        "scoring/rules.html",
        {
            "published": published,
            "draft": draft,
            "draft_changes": change_lines(diff_definitions(published.definition, draft.definition)),
            "sections": editor_sections(shown, errors),
            "note": request.POST.get("note", draft.note) if request.method == "POST" else draft.note,
            "errors": errors,
            "json_errors": errors.get("json", []),
            "json_text": json_text if json_text is not None else json.dumps(shown, indent=2),
            "last_job": _job_context(job) if (job := Job.objects.filter(kind="rescore").first()) else None,
            **(preview or {}),
        },
        status=status,
    )


@marketing_only
def rules_page(request):
    """The draft in the editor; with none yet, the published rules to start one from (the
    draft is written by the first save, never by opening the page)."""
    return _page(request, selectors.editable_draft())


@marketing_only
@require_POST
def save_draft(request):
    """Save the numbers of the structured editor into the draft."""
    draft = selectors.editable_draft()
    definition = definition_from_numbers(request.POST, draft.definition)
    try:
        services.save_draft(definition=definition, note=request.POST.get("note", ""), by=request.user)
    except ValidationError as exc:
        return _page(request, draft, errors=exc.message_dict, status=400, shown=definition)  # every error at once
    messages.success(request, "Draft saved. Preview it to see how leads would move.")
    return redirect("scoring-rules")


@marketing_only
@require_POST
def save_draft_json(request):
    """Save the whole definition as JSON: for adding or removing rules and questions."""
    text = request.POST.get("definition", "")
    draft = selectors.editable_draft()
    definition, errors = definition_from_json(text)
    if not errors:
        services.save_draft(definition=definition, note=request.POST.get("note", draft.note), by=request.user)
        messages.success(request, "Draft saved.")
        return redirect("scoring-rules")
    return _page(request, draft, errors=errors, json_text=text, status=400)


@marketing_only
@require_POST
def discard_draft(request):
    services.discard_draft()
    messages.success(request, "Draft discarded: it now matches the published rules again.")
    return redirect("scoring-rules")


def _bars(histogram: dict) -> list[dict]:
    """Bar heights (0–100) for the before/after histogram picture."""
    top = max([*histogram["before"], *histogram["after"], 1])
    bars = []
    for i, (label, before, after) in enumerate(
        zip(histogram["buckets"], histogram["before"], histogram["after"], strict=True)
    ):
        before_h, after_h = round(100 * before / top), round(100 * after / top)
        bars.append(
            {
                "label": label,
                "x": i * 52,
                "before": before,
                "after": after,
                "before_h": before_h,
                "after_h": after_h,
                "before_y": 110 - before_h,
                "after_y": 110 - after_h,
            }
        )
    return bars


def _previewed(request, draft) -> tuple[str, dict | None, str | None, dict]:
    """(where the rules came from, the definition, the JSON text, errors) for a preview post:
    the JSON editor's text, the structured editor's numbers, or (nothing posted) the saved draft."""
    if "definition" in request.POST:
        text = request.POST["definition"]
        definition, errors = definition_from_json(text)
        return "JSON editor", definition, text, errors
    if not any(name in request.POST for name in number_inputs(draft.definition)):
        return "", draft.definition, None, {}
    definition = definition_from_numbers(request.POST, draft.definition)
    try:
        services.validate_definition(definition)
    except ValidationError as exc:
        return "editor", definition, None, exc.message_dict
    return "editor", definition, None, {}


@marketing_only
@require_POST
def preview(request):
    """Preview the rules as they are in the form, saved or not, against the published ones.

    The structured editor posts its numbers, the JSON editor its text; either is previewed as
    posted, without saving, and the answer says which rules it scored and which edits are not
    saved yet. htmx gets the preview card's contents (with errors, as a 200 since htmx swaps
    only 2xx, and the editor's fields marked out of band); a plain post gets the whole page.
    """
    draft = selectors.editable_draft()
    source, definition, json_text, errors = _previewed(request, draft)
    note = request.POST.get("note", draft.note)
    context = {"preview_errors": errors, "previewed_from": source, "note": note}
    if errors:
        editor_definition = draft.definition if source == "JSON editor" else definition
        labels = input_labels(editor_sections(editor_definition, {}))
        context["preview_error_lines"] = [
            " ".join(msgs) if where == "json" else f"{labels.get(where, where)}: {' '.join(msgs)}"
            for where, msgs in errors.items()
        ]
    else:
        result = selectors.preview_draft(draft=draft, definition=definition)
        unsaved = change_lines(diff_definitions(draft.definition, definition))
        context |= {"preview": result, "bars": _bars(result["histogram"]), "unsaved": unsaved}
    if request.htmx:
        if errors and source == "editor":  # mark the fields in the editor too
            context |= {"oob_editor": True, "draft": draft, "sections": editor_sections(definition, errors)}
        return render(request, "scoring/_preview.html", context)
    return _page(
        request,
        draft,
        errors=errors,
        json_text=json_text,
        status=400 if errors else 200,
        preview=context,
        shown=definition,
    )


def _back_to(request, url_name: str, **kwargs):
    """After a POST, go to a page (POST-redirect-GET). An htmx request is told to load it as a
    whole page, so a page never lands inside the element that made the request."""
    url = reverse(url_name, kwargs=kwargs or None)
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@marketing_only
@require_POST
def publish(request):
    """Publish the draft the page showed (its version is posted): a second click, or a stale
    tab, is refused with a message instead of publishing whatever draft is there now."""
    version = parse_int(request.POST.get("version", ""))
    try:
        job = services.publish_draft(by=request.user, version=version)
    except (ValidationError, Conflict) as exc:
        messages.error(request, error_text(exc))
        return _back_to(request, "scoring-rules")
    messages.success(request, f"Rules version {job.params['version']} published; rescoring every lead.")
    return _back_to(request, "scoring-rules")


def _job_context(job: Job) -> dict:
    return job_context(job, label=f"Rescore for version {job.params.get('version')}")


# --- History ----------------------------------------------------------------------------------


def _chosen_versions(request, every: list[RuleSet]) -> tuple[int | None, int | None, dict]:
    """The two versions to compare from ?a=&b= (default: the one before the published and the
    published), with a field error for each that is not a version we have."""
    known = {rule_set.version for rule_set in every}
    published = [rule_set.version for rule_set in every if rule_set.status != RuleSetStatus.DRAFT]
    defaults = (published[1], published[0]) if len(published) > 1 else (None, None)
    chosen, errors = [], {}
    for name, default in zip(("a", "b"), defaults, strict=True):
        raw = request.GET.get(name, "").strip()
        if not raw:
            chosen.append(default)
            continue
        number = parse_int(raw)
        if number not in known:
            errors[name] = [f"There is no version {raw[:20]}."]
            number = None
        chosen.append(number)
    return chosen[0], chosen[1], errors


@marketing_only
def history(request):
    """Every published version (note, who, when), a readable diff of any two, and restore."""
    every = list(selectors.comparable_versions())
    a, b, errors = _chosen_versions(request, every)
    diff = selectors.version_diff(a, b) if a is not None and b is not None and not errors else None
    published = next(rule_set for rule_set in every if rule_set.status == RuleSetStatus.PUBLISHED)
    draft = next((rule_set for rule_set in every if rule_set.status == RuleSetStatus.DRAFT), None)
    history_rows = [rule_set for rule_set in every if rule_set.status != RuleSetStatus.DRAFT]
    rows = [
        {"rule_set": rule_set, "previous": history_rows[i + 1].version if i + 1 < len(history_rows) else None}
        for i, rule_set in enumerate(history_rows)
    ]
    return render(
        request,
        "scoring/history.html",
        {
            "rows": rows,
            "choices": every,
            "published": published,
            "draft_has_edits": draft is not None and draft.definition != published.definition,
            "a": a,
            "b": b,
            "diff": diff,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@marketing_only
@require_POST
def restore(request, version: int):
    """Publish an old version's rules again as a new version, with its rescore."""
    try:
        job = services.restore_version(version=version, by=request.user, note=request.POST.get("note", ""))
    except RuleSet.DoesNotExist as exc:
        raise Http404("No such version.") from exc
    except (ValidationError, Conflict) as exc:
        messages.error(request, error_text(exc))
        return _back_to(request, "scoring-history")
    messages.success(
        request, f"Version {version}'s rules published again as version {job.params['version']}; rescoring every lead."
    )
    return _back_to(request, "scoring-rules")
