"""The scoring page's structured editor, without requests: every tunable number of a rule-set
definition named by its path (`rules[0].points`, `decay.max_points`), the sections and rows the
page shows, and the definition rebuilt from what was posted. Views call these; tests call them
directly (tests/scoring/test_editor.py)."""

from __future__ import annotations

import copy
from collections.abc import Mapping

from django.core.exceptions import ValidationError

from config.ids import parse_int
from config.parsers import load_json
from scoring.services import validate_definition

# The numbers marketing tunes most, as "path in the definition" → input name.
DECAY_FIELDS = ("after_days", "points_per_week", "max_points")
THRESHOLD_FIELDS = ("hot", "warm", "sales_ready")


def number_inputs(definition: dict) -> list[str]:
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


def set_path(definition: dict, path: str, value) -> None:
    """Set definition[path] where path looks like rules[0].points or decay.max_points."""
    target, parts = definition, path.replace("]", "").replace("[", ".").split(".")
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    target[parts[-1]] = value


def get_path(definition: dict, path: str):
    value, parts = definition, path.replace("]", "").replace("[", ".").split(".")
    for part in parts:
        value = value[int(part)] if part.isdigit() else value.get(part)
    return value


def editor_sections(definition: dict, errors: dict) -> list[dict]:
    """The structured editor's sections: one row per rule or answer, its number inputs."""

    def field(name, caption=""):
        value = get_path(definition, name)
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


def input_labels(sections: list[dict]) -> dict[str, str]:
    """Input name → what the editor calls it ("Called us with an inquiry points")."""
    return {
        field["name"]: f"{row['label']} {field['caption']}".strip()
        for section in sections
        for row in section["rows"]
        for field in row["inputs"]
    }


def definition_from_numbers(posted: Mapping[str, str], definition: dict) -> dict:
    """A copy of the definition with the structured editor's numbers as posted (`posted` maps
    input names to text, e.g. request.POST). What is not a whole number stays as typed, for
    `validate_definition` to report with the rest; an empty cap means no cap."""
    definition = copy.deepcopy(definition)
    for name in number_inputs(definition):
        raw = (posted.get(name) or "").strip()
        if name.endswith(".cap") and raw == "":
            set_path(definition, name, None)
        else:
            number = parse_int(raw)
            set_path(definition, name, number if number is not None else raw)
    return definition


def definition_from_json(text: str):
    """(definition, errors) from the JSON editor's text; errors keyed "json" as the page shows them."""
    try:
        definition = load_json(text)
        validate_definition(definition)
    except ValueError as exc:  # malformed, too deeply nested, or carrying a NUL character
        return None, {"json": [f"Not valid JSON: {exc}"]}
    except ValidationError as exc:
        return None, {"json": [f"{where}: {' '.join(msgs)}" for where, msgs in exc.message_dict.items()]}
    return definition, {}
