"""What changed between two rule-set definitions, in words marketing reads (not raw JSON).

Pure, like the engine: two definitions in, a list of sections out. Items are matched by their
`key` (a rule renamed keeps its key, so it reads as changed, not as removed and added), and every
changed field reads "points 50 → 75". The history page, the preview ("unsaved changes") and the
API's diff endpoint all use it.
"""

from __future__ import annotations

# The sections of a definition in the order the editor shows them.
SECTIONS = (
    ("rules", "Behaviour rules"),
    ("questions", "Scripted questions"),
    ("profile", "Fit with the ideal customer profile"),
    ("decay", "Recency decay"),
    ("thresholds", "Thresholds"),
)
RULE_FIELDS = ("label", "kind", "points", "cap", "when")
PROFILE_FIELDS = ("label", "field", "values", "match", "points")
DECAY_FIELDS = ("after_days", "points_per_week", "max_points")
THRESHOLD_NAMES = {"hot": "Hot from", "warm": "Warm from", "sales_ready": "Sales-ready from"}


def _words(name: str) -> str:
    return name.replace("_", " ")


def _show(value) -> str:
    """A field's value as a person reads it."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:+d}" if value else "0"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{_words(str(k))} = {_show(v)}" for k, v in value.items()) or "none"
    return str(value)


def _show_field(name: str, value) -> str:
    if name == "cap":
        return "no cap" if value is None else str(value)
    if name in DECAY_FIELDS or name in THRESHOLD_NAMES:
        return str(value)
    return _show(value)


def _change(field: str, before, after, caption: str | None = None) -> dict:
    caption = caption or _words(field)
    return {
        "field": field,
        "before": before,
        "after": after,
        "text": f"{caption} {_show_field(field, before)} → {_show_field(field, after)}",
    }


def _field_changes(old: dict, new: dict, fields: tuple[str, ...]) -> list[dict]:
    changes = []
    for name in fields:
        before, after = old.get(name), new.get(name)
        if name == "when":  # no condition, however it is written
            before, after = before or None, after or None
        elif name == "match":
            before, after = before or "exact", after or "exact"
        if before != after:
            changes.append(_change(name, before, after))
    return changes


def _by_key(items) -> dict:
    """Items of a list keyed by `key` (the definition has been validated, so keys are unique)."""
    if not isinstance(items, list):
        return {}
    return {item.get("key"): item for item in items if isinstance(item, dict)}


def _entry(key, label: str, summary: str = "", changes: list[dict] | None = None) -> dict:
    entry = {"key": key, "label": label, "summary": summary}
    if changes is not None:
        entry["changes"] = changes
    return entry


def _rule_summary(rule: dict) -> str:
    parts = [f"{rule.get('kind')}", f"{_show(rule.get('points'))} each"]
    if rule.get("cap") is not None:
        parts.append(f"at most {rule['cap']}")
    if rule.get("when"):
        parts.append(f"when {_show(rule['when'])}")
    return ", ".join(parts)


def _option_text(option: dict) -> str:
    return f"{option.get('label')} ({_show(option.get('points'))})"


def _question_summary(question: dict) -> str:
    return "; ".join(_option_text(option) for option in question.get("options") or [])


def _profile_summary(rule: dict) -> str:
    how = "contains" if rule.get("match") == "contains" else "is"
    return f"{_words(str(rule.get('field')))} {how} {_show(rule.get('values'))}: {_show(rule.get('points'))}"


def _question_changes(old: dict, new: dict) -> list[dict]:
    changes = []
    if old.get("text") != new.get("text"):
        changes.append(_change("text", old.get("text"), new.get("text"), "question"))
    old_options, new_options = _by_key(old.get("options")), _by_key(new.get("options"))
    for key, option in new_options.items():
        before = old_options.get(key)
        if before is None:
            changes.append(
                {
                    "field": f"options.{key}",
                    "before": None,
                    "after": option,
                    "text": "answer added: " + _option_text(option),
                }
            )
            continue
        for name in ("label", "points"):
            if before.get(name) != option.get(name):
                caption = f"answer “{before.get('label')}” {name}"
                changes.append(_change(f"options.{key}.{name}", before.get(name), option.get(name), caption))
    for key, option in old_options.items():
        if key not in new_options:
            changes.append(
                {
                    "field": f"options.{key}",
                    "before": option,
                    "after": None,
                    "text": "answer removed: " + _option_text(option),
                }
            )
    return changes


def _keyed_section(old_items, new_items, summary, changes_of) -> dict:
    old, new = _by_key(old_items), _by_key(new_items)
    added = [
        _entry(key, item.get("label") or item.get("text") or key, summary(item))
        for key, item in new.items()
        if key not in old
    ]
    removed = [
        _entry(key, item.get("label") or item.get("text") or key, summary(item))
        for key, item in old.items()
        if key not in new
    ]
    changed = []
    for key, item in new.items():
        if key in old and (changes := changes_of(old[key], item)):
            changed.append(_entry(key, old[key].get("label") or old[key].get("text") or key, "", changes))
    return {"added": added, "removed": removed, "changed": changed}


def _decay_summary(decay: dict) -> str:
    return (
        f"after {decay.get('after_days')} quiet days, {decay.get('points_per_week')} a week,"
        f" at most {decay.get('max_points')}"
    )


def _decay_section(old, new) -> dict:
    section = {"added": [], "removed": [], "changed": []}
    if old == new:
        return section
    if not old:
        section["added"].append(_entry("decay", "Gone quiet", _decay_summary(new)))
    elif not new:
        section["removed"].append(_entry("decay", "Gone quiet", _decay_summary(old)))
    else:
        section["changed"].append(_entry("decay", "Gone quiet", "", _field_changes(old, new, DECAY_FIELDS)))
    return section


def _threshold_section(old, new) -> dict:
    old, new = old or {}, new or {}
    changes = [
        _change(name, old.get(name), new.get(name), caption)
        for name, caption in THRESHOLD_NAMES.items()
        if old.get(name) != new.get(name)
    ]
    return {"added": [], "removed": [], "changed": [_entry("thresholds", "Thresholds", "", changes)] if changes else []}


def diff_definitions(old: dict, new: dict) -> list[dict]:
    """The sections that differ between two definitions, each
    {"key", "title", "added", "removed", "changed"}; an empty list when they are the same.

    `added`/`removed` entries are {"key", "label", "summary"}; `changed` entries add "changes":
    [{"field", "before", "after", "text"}].
    """
    builders = {
        "rules": lambda: _keyed_section(
            old.get("rules"), new.get("rules"), _rule_summary, lambda a, b: _field_changes(a, b, RULE_FIELDS)
        ),
        "questions": lambda: _keyed_section(
            old.get("questions"), new.get("questions"), _question_summary, _question_changes
        ),
        "profile": lambda: _keyed_section(
            old.get("profile"), new.get("profile"), _profile_summary, lambda a, b: _field_changes(a, b, PROFILE_FIELDS)
        ),
        "decay": lambda: _decay_section(old.get("decay"), new.get("decay")),
        "thresholds": lambda: _threshold_section(old.get("thresholds"), new.get("thresholds")),
    }
    sections = []
    for key, title in SECTIONS:
        parts = builders[key]()
        if parts["added"] or parts["removed"] or parts["changed"]:
            sections.append({"key": key, "title": title, **parts})
    return sections


def change_lines(sections: list[dict]) -> list[str]:
    """Every difference as one short line ("Called us with an inquiry: points +50 → +75"), for
    a summary of unsaved edits or a note."""
    lines = []
    for section in sections:
        lines += [f"Added: {item['label']}" for item in section["added"]]
        lines += [f"Removed: {item['label']}" for item in section["removed"]]
        for item in section["changed"]:
            lines += [f"{item['label']}: {change['text']}" for change in item["changes"]]
    return lines
