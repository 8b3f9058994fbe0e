""" "Propose as a draft": the points the outcomes suggest, written into the scoring draft.

The suggestions are reports.analysis.rules' (and, when asked, the ideal customer profile's
profile rules: reports.analysis.icp). They go into the draft marketing edits, never into the
published rules: the draft's preview shows what they would move, and a person publishes them or
not. Too few outcomes is refused (409) with the reason: never a suggestion built on nothing.
"""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError

from config.errors import Conflict
from reports.analysis import rules as rule_analysis
from reports.analysis.outcomes import MIN_OUTCOMES, outcomes
from reports.periods import Period, parse_period
from reports.router import reading_reports
from scoring.api import rule_set_body
from scoring.services import current_draft, published_rule_book, save_draft

DEFAULT_TOP = 0.2
TOP_RANGE = (0.01, 0.5)
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "")


def parse(data: dict) -> tuple[bool, bool, Period, float, str]:
    """(rules, profile, period, top, by) from the request body; ValidationError keyed by field."""
    errors: dict[str, list[str]] = {}
    flags = {}
    for name, default in (("rules", True), ("profile", False)):
        value = data.get(name, default)
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            value = value.strip().lower() in _TRUE
        if not isinstance(value, bool):
            errors[name] = ["Say true or false."]
            value = default
        flags[name] = value
    if not errors and not (flags["rules"] or flags["profile"]):
        errors["rules"] = ["Nothing to suggest: ask for the rules' points, profile rules, or both."]
    top = DEFAULT_TOP
    if data.get("top") not in (None, ""):
        try:
            top = float(data["top"])
        except (TypeError, ValueError):
            top = None
        if top is None or not TOP_RANGE[0] <= top <= TOP_RANGE[1]:
            errors["top"] = [f"Give the share of best customers between {TOP_RANGE[0]} and {TOP_RANGE[1]} (1–50 %)."]
            top = DEFAULT_TOP
    ranked_by = data.get("by") or "contact"
    if ranked_by not in ("contact", "company"):
        errors["by"] = ["Rank the best customers by contact or by company."]
    try:
        period = parse_period({"start": _text(data.get("start")), "end": _text(data.get("end"))})
    except ValidationError as exc:
        errors |= exc.message_dict
        period = None
    if errors:
        raise ValidationError(errors)
    return flags["rules"], flags["profile"], period, top, ranked_by


def _text(value) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def suggest(data: dict, *, by) -> dict:
    """Write the suggested points (and, with "profile", the ideal customer profile's rules) into
    the scoring draft and return it as the draft API does, with `changes`: what moved."""
    with_rules, with_profile, period, top, ranked_by = parse(data)
    analysis = rule_analysis.rules(period) if with_rules else None
    if analysis is not None:
        count = analysis["outcomes"]
    else:
        with reading_reports():
            count = outcomes(period).count()
    if count < MIN_OUTCOMES:
        raise Conflict(
            f"too few outcomes: {count}, at least {MIN_OUTCOMES} "
            f"(leads won, unclosed or dead between {period.start} and {period.end}). Widen the period."
        )
    draft = current_draft(by=by)
    definition = copy.deepcopy(draft.definition)
    changes = []
    if with_rules:
        changes += _write_points(definition, analysis["rules"])
    if with_profile:
        from reports.analysis import icp  # written beside this; only asked for here

        changes += _add_profile(definition, icp.profile_rules(period, top=top, by=ranked_by))
    if not changes:
        raise Conflict("The outcomes suggest nothing the draft does not say already: the draft is left as it is.")
    draft = save_draft(definition=definition, note=f"Suggested from outcomes {period.start}–{period.end}", by=by)
    return {**rule_set_body(draft), "changes": changes}


def _write_points(definition: dict, rows: list[dict]) -> list[dict]:
    """Each suggestion into the draft's rule of the same key, when that rule still means what the
    published one measured (same kind and metadata, same field and values); the others untouched.
    A behaviour rule's cap is raised to its new points when it was lower (the engine requires it)."""
    suggested = {row["rule"]: row["suggested_points"] for row in rows if row["suggested_points"] is not None}
    published = published_rule_book()
    measured = {f"behaviour.{rule.key}": (rule.kind, dict(rule.when)) for rule in published.behaviour}
    measured |= {f"profile.{rule.key}": (rule.field, list(rule.values), rule.match) for rule in published.profile}
    changes = []

    def change(rule: str, item: dict) -> None:
        points = suggested.get(rule)
        if points is None or item.get("points") == points:
            return
        changes.append({"rule": rule, "from": item.get("points"), "to": points})
        item["points"] = points

    for item in definition.get("rules", []):
        rule = f"behaviour.{item.get('key')}"
        if measured.get(rule) == (item.get("kind"), item.get("when") or {}):
            change(rule, item)
            if isinstance(item.get("cap"), int) and item["cap"] < abs(item["points"]):
                item["cap"] = abs(item["points"])
    for question in definition.get("questions", []):
        published_question = published.question(question.get("key"))
        for option in question.get("options", []):
            if published_question is not None and published_question.option(option.get("key")) is not None:
                change(f"answer.{question['key']}.{option['key']}", option)
    for item in definition.get("profile", []):
        rule = f"profile.{item.get('key')}"
        if measured.get(rule) == (item.get("field"), item.get("values"), item.get("match", "exact")):
            change(rule, item)
    return changes


def _add_profile(definition: dict, profile_rules: list[dict]) -> list[dict]:
    """The ideal customer profile's rules into the draft, replacing a rule of the same key."""
    before = {item.get("key"): item.get("points") for item in definition.get("profile", [])}
    keys = {rule["key"] for rule in profile_rules}
    definition["profile"] = [item for item in definition.get("profile", []) if item.get("key") not in keys]
    definition["profile"] += list(profile_rules)
    return [
        {"rule": f"profile.{rule['key']}", "from": before.get(rule["key"]), "to": rule["points"]}
        for rule in profile_rules
    ]
