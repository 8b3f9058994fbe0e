"""The sequence builder's form: the posted rows read back into the step dicts that
nurture.services.save_sequence checks (every check is there, none here), and a sequence's steps
laid out as rows to edit.

Each row's fields are named step-<n>-<field>, n its place on the page (the builder's script
renumbers them when rows move); a row whose kind is left empty is a blank one and is skipped, so
the blank rows at the end of a page without script take new steps. A row keeps its step's `key`
in a hidden field, so an edit keeps what was done with it.
"""

from __future__ import annotations

import re

from django.http import QueryDict

from nurture.steps import MAX_STEPS, for_people

ROW = re.compile(r"^step-(\d+)-kind$")
MAX_ROWS = MAX_STEPS + 20  # the blank rows on top of the most steps a sequence may have
BLANK_ROWS_NEW = 5
BLANK_ROWS_EDIT = 3
STEP_NUMBER = re.compile(r"^Step (\d+): ")


def _text(data: QueryDict, name: str) -> str:
    return (data.get(name) or "").strip()


def _step(data: QueryDict, prefix: str, kind: str) -> dict:
    def text(name: str) -> str:
        return _text(data, prefix + name)

    step: dict = {"kind": kind}
    if text("key"):
        step["key"] = text("key")
    if kind == "email":
        step |= {"subject": text("subject"), "text": text("text"), "offer": text("offer") or None}
    elif kind == "letter":
        step["template"] = text("template")
    elif kind == "call":
        step |= {"note": text("note"), "to": text("to") or "owner"}
    elif kind == "wait":
        step |= {
            "days": text("days"),
            "weekdays": data.getlist(prefix + "weekdays"),
            "from_hour": text("from_hour"),
            "to_hour": text("to_hour"),
        }
    elif kind == "branch":
        step |= {"if": text("if"), "value": text("value")}
        for side in ("then", "else"):  # left empty: the service's defaults (then next, else end)
            if text(side):
                step[side] = text(side).lower() if text(side).lower() in ("next", "end") else text(side)
    return step


def steps_from(data: QueryDict) -> list[dict]:
    """The steps of the posted rows, in page order, blank rows left out."""
    numbers = sorted({int(match.group(1)) for name in data if (match := ROW.match(name))})
    steps = []
    for number in numbers[:MAX_ROWS]:
        prefix = f"step-{number}-"
        kind = _text(data, prefix + "kind")
        if kind:
            steps.append(_step(data, prefix, kind))
    return steps


def sequence_fields(data: QueryDict) -> dict:
    """What save_sequence takes, from the posted form."""
    return {
        "name": _text(data, "name"),
        "description": _text(data, "description"),
        "trigger": _text(data, "trigger"),
        "trigger_days": _text(data, "trigger_days"),
        "steps": steps_from(data),
    }


def initial(sequence) -> dict:
    """A saved sequence as the form shows it (branch targets as step numbers), or a new one."""
    if sequence is None:
        return {"name": "", "description": "", "trigger": "", "trigger_days": "0", "steps": []}
    return {
        "name": sequence.name,
        "description": sequence.description,
        "trigger": sequence.trigger,
        "trigger_days": str(sequence.trigger_days),
        "steps": for_people(sequence.steps),
    }


def _shown(value) -> str:
    return "" if value is None else str(value)


def row(step: dict | None, index) -> dict:
    """One row of the builder: every field of every kind as text (the template shows those of the
    row's kind), `index` its place in the field names."""
    step = step or {}
    return {
        "index": str(index),
        "number": None,
        "key": _shown(step.get("key")),
        "kind": _shown(step.get("kind")),
        "subject": _shown(step.get("subject")),
        "text": _shown(step.get("text")),
        "offer": _shown(step.get("offer")),
        "template": _shown(step.get("template")),
        "note": _shown(step.get("note")),
        "to": _shown(step.get("to")) or "owner",
        "days": _shown(step.get("days")),
        "weekdays": [day for day in step.get("weekdays") or [] if isinstance(day, str)],
        "from_hour": _shown(step.get("from_hour")),
        "to_hour": _shown(step.get("to_hour")),
        "condition": _shown(step.get("if")),
        "value": _shown(step.get("value")),
        "then": _shown(step.get("then")) or "next",
        "otherwise": _shown(step.get("else")) or "end",
        "errors": [],
    }


def rows(steps: list[dict], *, blank: int, errors: list[str] | None = None) -> list[dict]:
    """The rows for `steps` and `blank` empty ones after them, each "Step N: …" message of
    `errors` on its row (the page lists every message above the form as well)."""
    laid_out = [row(step, index) for index, step in enumerate(steps)]
    for number, shown in enumerate(laid_out, start=1):
        shown["number"] = number
    laid_out += [row(None, len(steps) + extra) for extra in range(blank)]
    for message in errors or []:
        match = STEP_NUMBER.match(message)
        if match and 1 <= int(match.group(1)) <= len(steps):
            laid_out[int(match.group(1)) - 1]["errors"].append(message[match.end() :])
    return laid_out
