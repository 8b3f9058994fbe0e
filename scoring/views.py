"""The scoring page: marketing tunes the rules in a draft, previews it, publishes it."""

import copy
import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.errors import error_text
from config.ids import parse_int
from config.parsers import load_json
from crm.access import role_required
from crm.roles import Role
from jobs.models import Job
from jobs.views import job_context
from scoring import selectors, services
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


def _page(request, draft, errors=None, json_text=None, status=200):
    published = RuleSet.objects.get(status=RuleSetStatus.PUBLISHED)
    return render(
        request,
        "scoring/rules.html",
        {
            "published": published,
            "draft": draft,
            "sections": _editor(draft.definition, errors or {}),
            "errors": errors or {},
            "json_errors": (errors or {}).get("json", []),
            "json_text": json_text if json_text is not None else json.dumps(draft.definition, indent=2),
            "last_job": _job_context(job) if (job := Job.objects.filter(kind="rescore").first()) else None,
        },
        status=status,
    )


@marketing_only
def rules_page(request):
    return _page(request, services.current_draft(by=request.user))


@marketing_only
@require_POST
def save_draft(request):
    """Save the numbers of the structured editor into the draft."""
    draft = services.current_draft(by=request.user)
    definition = copy.deepcopy(draft.definition)
    for name in _number_inputs(definition):
        raw = request.POST.get(name, "").strip()
        if name.endswith(".cap") and raw == "":
            _set_path(definition, name, None)
        else:  # what is not a whole number stays as typed; the validator reports it with the rest
            number = parse_int(raw)
            _set_path(definition, name, number if number is not None else raw)
    try:
        services.save_draft(definition=definition, note=request.POST.get("note", ""), by=request.user)
    except ValidationError as exc:
        draft.definition = definition  # show what was typed, with every error at once
        return _page(request, draft, errors=exc.message_dict, status=400)
    messages.success(request, "Draft saved. Preview it to see how leads would move.")
    return redirect("scoring-rules")


@marketing_only
@require_POST
def save_draft_json(request):
    """Save the whole definition as JSON: for adding or removing rules and questions."""
    text = request.POST.get("definition", "")
    draft = services.current_draft(by=request.user)
    try:
        definition = load_json(text)
        services.save_draft(definition=definition, note=request.POST.get("note", draft.note), by=request.user)
    except ValueError as exc:  # malformed, too deeply nested, or carrying a NUL character
        return _page(request, draft, errors={"json": [f"Not valid JSON: {exc}"]}, json_text=text, status=400)
    except ValidationError as exc:
        errors = {"json": [f"{where}: {' '.join(msgs)}" for where, msgs in exc.message_dict.items()]}
        return _page(request, draft, errors=errors, json_text=text, status=400)
    messages.success(request, "Draft saved.")
    return redirect("scoring-rules")


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


@marketing_only
@require_POST
def preview(request):
    services.current_draft(by=request.user)  # a preview of the unchanged rules is a fair answer too
    result = selectors.preview_draft()
    return render(request, "scoring/_preview.html", {"preview": result, "bars": _bars(result["histogram"])})


@marketing_only
@require_POST
def publish(request):
    try:
        job = services.publish_draft(by=request.user)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("scoring-rules")
    messages.success(request, f"Rules version {job.params['version']} published; rescoring every lead.")
    if request.htmx:
        return render(request, "jobs/_job.html", _job_context(job))
    return redirect("scoring-rules")


def _job_context(job: Job) -> dict:
    return job_context(job, label=f"Rescore for version {job.params.get('version')}")
