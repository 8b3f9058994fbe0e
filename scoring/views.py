"""The scoring pages: marketing tunes the rules in a draft, previews it, publishes it, and reads
or restores the versions published before."""

import copy
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
from config.parsers import load_json
from crm.access import role_required
from crm.roles import Role
from jobs.models import Job
from jobs.views import job_context
from leads.kinds import Stage
from scoring import selectors, services
from scoring.diff import change_lines, diff_definitions
from scoring.models import RuleSet, RuleSetStatus

marketing_only = role_required(Role.MARKETING, Role.MANAGER)

# The numbers marketing tunes most, as "path in the definition" → input name.
DECAY_FIELDS = ("after_days", "points_per_week", "max_points")
THRESHOLD_FIELDS = ("hot", "warm", "sales_ready")


def _number_inputs(definition: dict) -> list[str]:
    """Input names of every tunable number, named by their path (rules[0].points, …)."""
    names = []
    for i, _rule in enumerate(definition.get("rules", [])):
        names += [f"rules[{i}].points", f"rules[{i}].cap"]
    for i, question in enumerate(definition.get("questions", [])):
        names += [f"questions[{i}].options[{j}].points" for j, _ in enumerate(question.get("options", []))]
    names += [f"profile[{i}].points" for i, _ in enumerate(definition.get("profile", []))]
    if definition.get("decay"):
        names += [f"decay.{name}" for name in DECAY_FIELDS]
    names += [f"thresholds.{name}" for name in THRESHOLD_FIELDS]
    return names


def _set_path(definition: dict, path: str, value) -> None:
    """Set definition[path] where path looks like rules[0].points or decay.max_points."""
    target, parts = definition, path.replace("]", "").replace("[", ".").split(".")
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    target[parts[-1]] = value


def _get_path(definition: dict, path: str):
    value, parts = definition, path.replace("]", "").replace("[", ".").split(".")
    for part in parts:
        value = value[int(part)] if part.isdigit() else value.get(part)
    return value


def _editor(definition: dict, errors: dict) -> list[dict]:
    """The structured editor's sections: one row per rule or answer, its number inputs."""

    def field(name, caption=""):
        value = _get_path(definition, name)
        return {
            "name": name,
            "caption": caption,
            "value": "" if value is None else value,
            "errors": errors.get(name, []),
        }

    rules = [
        {
            "label": rule.get("label", ""),
            "detail": rule.get("kind", ""),
            "inputs": [field(f"rules[{i}].points", "points"), field(f"rules[{i}].cap", "cap")],
        }
        for i, rule in enumerate(definition.get("rules", []))
    ]
    answers = [
        {
            "label": option.get("label", ""),
            "detail": question.get("text", ""),
            "inputs": [field(f"questions[{i}].options[{j}].points", "points")],
        }
        for i, question in enumerate(definition.get("questions", []))
        for j, option in enumerate(question.get("options", []))
    ]
    profile = [
        {
            "label": rule.get("label", ""),
            "detail": f"{rule.get('field')}: {', '.join(rule.get('values', []))}",
            "inputs": [field(f"profile[{i}].points", "points")],
        }
        for i, rule in enumerate(definition.get("profile", []))
    ]
    decay = (
        [
            {
                "label": "Gone quiet",
                "detail": "days before decay starts; points lost per full week; at most",
                "inputs": [field(f"decay.{name}", name.replace("_", " ")) for name in DECAY_FIELDS],
            }
        ]
        if definition.get("decay")
        else []
    )
    thresholds = [
        {
            "label": "Thresholds",
            "detail": "score from which a lead is hot, warm, sales-ready",
            "inputs": [field(f"thresholds.{name}", name.replace("_", "-")) for name in THRESHOLD_FIELDS],
        }
    ]
    return [
        {"title": "Behaviour: points per interaction, capped", "rows": rules},
        {"title": "Answers to the scripted questions", "rows": answers},
        {"title": "Fit with the ideal customer profile", "rows": profile},
        {"title": "Recency decay", "rows": decay},
        {"title": "Temperature and sales-ready", "rows": thresholds},
    ]


def _input_labels(sections: list[dict]) -> dict[str, str]:
    """Input name → what the editor calls it ("Called us with an inquiry points")."""
    return {
        field["name"]: f"{row['label']} {field['caption']}".strip()
        for section in sections
        for row in section["rows"]
        for field in row["inputs"]
    }


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
            "sections": _editor(shown, errors),
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
    return _page(request, services.current_draft(by=request.user))


def _definition_from_numbers(request, definition: dict) -> dict:
    """The definition with the structured editor's numbers as posted."""
    definition = copy.deepcopy(definition)
    for name in _number_inputs(definition):
        raw = request.POST.get(name, "").strip()
        if name.endswith(".cap") and raw == "":
            _set_path(definition, name, None)
        else:  # what is not a whole number stays as typed; the validator reports it with the rest
            number = parse_int(raw)
            _set_path(definition, name, number if number is not None else raw)
    return definition


def _definition_from_json(text: str):
    """(definition, errors) from the JSON editor's text; errors keyed "json" as the page shows them."""
    try:
        definition = load_json(text)
        services.validate_definition(definition)
    except ValueError as exc:  # malformed, too deeply nested, or carrying a NUL character
        return None, {"json": [f"Not valid JSON: {exc}"]}
    except ValidationError as exc:
        return None, {"json": [f"{where}: {' '.join(msgs)}" for where, msgs in exc.message_dict.items()]}
    return definition, {}


@marketing_only
@require_POST
def save_draft(request):
    """Save the numbers of the structured editor into the draft."""
    draft = services.current_draft(by=request.user)
    definition = _definition_from_numbers(request, draft.definition)
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
    draft = services.current_draft(by=request.user)
    definition, errors = _definition_from_json(text)
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
        definition, errors = _definition_from_json(text)
        return "JSON editor", definition, text, errors
    if not any(name in request.POST for name in _number_inputs(draft.definition)):
        return "", draft.definition, None, {}
    definition = _definition_from_numbers(request, draft.definition)
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
    draft = services.current_draft(by=request.user)
    source, definition, json_text, errors = _previewed(request, draft)
    note = request.POST.get("note", draft.note)
    context = {"preview_errors": errors, "previewed_from": source, "note": note}
    if errors:
        editor_definition = draft.definition if source == "JSON editor" else definition
        labels = _input_labels(_editor(editor_definition, {}))
        context["preview_error_lines"] = [
            " ".join(msgs) if where == "json" else f"{labels.get(where, where)}: {' '.join(msgs)}"
            for where, msgs in errors.items()
        ]
    else:
        result = selectors.preview_draft(definition=definition)
        for mover in result["movers"]:
            mover["stage_label"] = Stage(mover["stage"]).label
        unsaved = change_lines(diff_definitions(draft.definition, definition))
        context |= {"preview": result, "bars": _bars(result["histogram"]), "unsaved": unsaved}
    if request.htmx:
        if errors and source == "editor":  # mark the fields in the editor too
            context |= {"oob_editor": True, "draft": draft, "sections": _editor(definition, errors)}
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
