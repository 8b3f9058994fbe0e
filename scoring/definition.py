"""Rule sets are data: this module turns their JSON definition into an engine `RuleBook`.

`parse_definition` checks everything at once and raises `RuleBookError` with every problem, keyed
by where it is (`rules[3].points`), so marketing sees all mistakes in one go and nothing broken is
ever saved or published.
"""

from __future__ import annotations

from scoring.engine import (
    POINTS_LIMIT,
    AnswerOption,
    BehaviourRule,
    DecayRule,
    ProfileRule,
    Question,
    RuleBook,
    RuleBookError,
    Thresholds,
)

PROFILE_FIELDS = ("industry_code", "size_band", "title", "persona", "region", "country", "postal_code")

# The interaction kinds a behaviour rule may name. They are the leads app's vocabulary
# (leads.kinds.InteractionKind); scoring sits below leads, so leads tells it when it starts.
_interaction_kinds: frozenset[str] | None = None


def know_interaction_kinds(kinds) -> None:
    """Called once by the leads app (leads.apps.LeadsConfig.ready)."""
    global _interaction_kinds
    _interaction_kinds = frozenset(kinds)


def interaction_kinds() -> frozenset[str]:
    if _interaction_kinds is None:
        raise RuntimeError("The leads app has not told scoring its interaction kinds: is it installed?")
    return _interaction_kinds


class _Errors:
    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def add(self, where: str, message: str) -> None:
        self.errors.setdefault(where, []).append(message)


def _points(value, where: str, errors: _Errors) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(where, "Must be a whole number.")
        return 0
    if not -POINTS_LIMIT <= value <= POINTS_LIMIT:
        errors.add(where, f"Must be between -{POINTS_LIMIT} and {POINTS_LIMIT}.")
    return value


def _text(value, where: str, errors: _Errors, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        errors.add(where, "This field is required." if not value else "Must be text.")
        return ""
    return value.strip()


def _unique_key(value, where: str, seen: set[str], errors: _Errors) -> str:
    key = _text(value, where, errors)
    if key and key in seen:
        errors.add(where, f"Duplicate key '{key}'.")
    seen.add(key)
    return key


def _list(definition: dict, name: str, errors: _Errors) -> list:
    value = definition.get(name, [])
    if not isinstance(value, list):
        errors.add(name, "Must be a list.")
        return []
    return value


def _parse_behaviour(items: list, errors: _Errors) -> tuple[BehaviourRule, ...]:
    rules, seen = [], set()
    for i, item in enumerate(items):
        at = f"rules[{i}]"
        if not isinstance(item, dict):
            errors.add(at, "Must be an object.")
            continue
        key = _unique_key(item.get("key"), f"{at}.key", seen, errors)
        kind = item.get("kind")
        if kind not in interaction_kinds():
            errors.add(f"{at}.kind", f"Unknown interaction kind {kind!r}.")
        points = _points(item.get("points"), f"{at}.points", errors)
        cap = item.get("cap")
        if cap is not None:
            cap = _points(cap, f"{at}.cap", errors)
            if cap < abs(points):
                errors.add(f"{at}.cap", "The cap must be at least the points of one interaction.")
        when = item.get("when") or {}
        if not isinstance(when, dict):
            errors.add(f"{at}.when", "Must be an object of metadata values.")
            when = {}
        label = _text(item.get("label"), f"{at}.label", errors)
        rules.append(BehaviourRule(key, label, kind, points, cap, tuple(sorted(when.items()))))
    return tuple(rules)


def _parse_questions(items: list, errors: _Errors) -> tuple[Question, ...]:
    questions, seen = [], set()
    for i, item in enumerate(items):
        at = f"questions[{i}]"
        if not isinstance(item, dict):
            errors.add(at, "Must be an object.")
            continue
        key = _unique_key(item.get("key"), f"{at}.key", seen, errors)
        text = _text(item.get("text"), f"{at}.text", errors)
        raw_options = item.get("options")
        if not isinstance(raw_options, list) or not raw_options:
            errors.add(f"{at}.options", "A question needs at least one answer option.")
            raw_options = []
        options, seen_options = [], set()
        for j, raw in enumerate(raw_options):
            where = f"{at}.options[{j}]"
            if not isinstance(raw, dict):
                errors.add(where, "Must be an object.")
                continue
            options.append(
                AnswerOption(
                    _unique_key(raw.get("key"), f"{where}.key", seen_options, errors),
                    _text(raw.get("label"), f"{where}.label", errors),
                    _points(raw.get("points"), f"{where}.points", errors),
                )
            )
        questions.append(Question(key, text, tuple(options)))
    return tuple(questions)


def _parse_profile(items: list, errors: _Errors) -> tuple[ProfileRule, ...]:
    rules, seen = [], set()
    for i, item in enumerate(items):
        at = f"profile[{i}]"
        if not isinstance(item, dict):
            errors.add(at, "Must be an object.")
            continue
        key = _unique_key(item.get("key"), f"{at}.key", seen, errors)
        field = item.get("field")
        if field not in PROFILE_FIELDS:
            errors.add(f"{at}.field", f"Must be one of {', '.join(PROFILE_FIELDS)}.")
        values = item.get("values")
        if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
            errors.add(f"{at}.values", "Give at least one value to match.")
            values = []
        match = item.get("match", "exact")
        if match not in ("exact", "contains"):
            errors.add(f"{at}.match", "Must be 'exact' or 'contains'.")
        rules.append(
            ProfileRule(
                key,
                _text(item.get("label"), f"{at}.label", errors),
                field,
                tuple(values),
                _points(item.get("points"), f"{at}.points", errors),
                match,
            )
        )
    return tuple(rules)


def _parse_decay(item, errors: _Errors) -> DecayRule | None:
    if item is None:
        return None
    if not isinstance(item, dict):
        errors.add("decay", "Must be an object or null.")
        return None
    values = {}
    for name in ("after_days", "points_per_week", "max_points"):
        value = item.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3650:
            errors.add(f"decay.{name}", "Must be a whole number from 0.")
            value = 0
        values[name] = value
    if values["max_points"] > POINTS_LIMIT:
        errors.add("decay.max_points", f"Must be at most {POINTS_LIMIT}.")
    return DecayRule(**values)


def _parse_thresholds(item, errors: _Errors) -> Thresholds:
    if not isinstance(item, dict):
        errors.add("thresholds", "Give hot, warm and sales_ready.")
        return Thresholds()
    values = {}
    for name in ("hot", "warm", "sales_ready"):
        value = item.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            errors.add(f"thresholds.{name}", "Must be a whole number from 0 to 100.")
            value = 0
        values[name] = value
    if values["warm"] >= values["hot"]:
        errors.add("thresholds.warm", "Warm must be below hot.")
    return Thresholds(**values)


def parse_definition(definition, version: int = 0) -> RuleBook:
    """A validated RuleBook from a JSON definition, or RuleBookError with every problem."""
    errors = _Errors()
    if not isinstance(definition, dict):
        raise RuleBookError({"definition": ["Must be an object."]})
    book = RuleBook(
        version=version,
        behaviour=_parse_behaviour(_list(definition, "rules", errors), errors),
        questions=_parse_questions(_list(definition, "questions", errors), errors),
        profile=_parse_profile(_list(definition, "profile", errors), errors),
        decay=_parse_decay(definition.get("decay"), errors),
        thresholds=_parse_thresholds(definition.get("thresholds"), errors),
    )
    if not (book.behaviour or book.questions or book.profile):
        errors.add("rules", "A rule set needs at least one rule or question.")
    if errors.errors:
        raise RuleBookError(errors.errors)
    return book
