"""/reports/analysis/: does the score mean what it says? The score analysis in the browser for
Marketing and Managers (issue 20, CONTRACT "Score analysis"): calibration, consistency between
CSRs, what each rule is worth and the ideal customer profile, each figure with its definition,
each table as CSV. The figures are reports.analysis's; these views read the settings, draw the
pictures (reports.charts) and hand the two writes, suggested points into the scoring draft and a
campaign segment, to their services. GET never writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.errors import Conflict, error_text
from crm.access import role_required
from crm.roles import Role
from reports import charts
from reports.analysis import calibration, icp, raters, rules, suggest, tables
from reports.analysis.outcomes import MIN_OUTCOMES, rate
from reports.periods import DEFAULT_DAYS, Period, parse_period
from reports.views import csv_download

marketing_only = role_required(Role.MARKETING, Role.MANAGER)

TOP_PERCENT = "20"  # the best fifth of customers, unless asked otherwise
TOP_RANGE = (1, 50)
AT_LABELS = {"sales_ready": "When it became sales-ready", "inquiry": "At its first inquiry"}
BANDING_LABELS = {
    "deciles": "Deciles (0–9, 10–19 … 90–100)",
    "quintiles": "Quintiles (0–19 … 80–100)",
    "temperature": "Temperature (cold, warm, hot)",
}
BY_LABELS = {"contact": "Contacts", "company": "Companies"}
# How a definition's key reads beside its figure; any other key is read as written.
DEFINITION_LABELS = {
    "ci": "95 % interval",
    "auc": "Concordance (AUC)",
    "close_rate": "Close rate",
    "close_rate_with": "Close rate with",
    "close_rate_without": "Close rate without",
    "suggested_points": "Suggested points",
    "top_share": "Share of the best customers",
    "all_share": "Share of all customers",
    "lead_share": "Share of all leads",
    "top_customers": "Best customers",
    "over_represented": "Over-represented",
}


@dataclass
class Choices:
    """What the page was asked for; a refused setting falls back to its default and says why."""

    period: Period
    at: str = "sales_ready"
    bands: str = "deciles"
    top_percent: str = TOP_PERCENT  # as typed
    top: float | None = 0.2  # the share, None when the typed one was refused
    by: str = "contact"
    errors: dict[str, list[str]] = field(default_factory=dict)


def _choices(params) -> Choices:
    errors: dict[str, list[str]] = {}
    try:
        period = parse_period(params)
    except ValidationError as exc:
        period = parse_period({})
        errors.update(exc.message_dict)
    chosen = Choices(period=period)
    try:
        chosen.at, chosen.bands = calibration.parse(params)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        chosen.at = params.get("at") if params.get("at") in calibration.AT else "sales_ready"
        chosen.bands = params.get("bands") if params.get("bands") in calibration.BANDINGS else "deciles"
    chosen.top_percent = (params.get("top_percent") or TOP_PERCENT).strip()[:20]
    chosen.top, chosen.by = _top(chosen.top_percent, params.get("by") or "contact", errors)
    chosen.errors = errors
    return chosen


def _top(typed: str, by: str, errors: dict) -> tuple[float | None, str]:
    """The best customers' share from a percent typed on the page (1–50), and whom to rank."""
    low, high = TOP_RANGE
    try:
        percent = float(typed.rstrip("%").strip())
    except ValueError:
        percent = None
    if percent is None or not low <= percent <= high:
        errors["top_percent"] = [f"Give the share of best customers in percent, from {low} to {high} (e.g. 20)."]
    if by not in icp.GROUPINGS:
        errors["by"] = ["Rank contacts or companies."]
        by = "contact"
    if "top_percent" in errors or "by" in errors:
        return None, by
    try:
        return icp.parse({"top": str(percent / 100), "by": by})
    except ValidationError as exc:
        errors.update({"top_percent" if key == "top" else key: value for key, value in exc.message_dict.items()})
        return None, by


PERIOD_FIELDS, CALIBRATION_FIELDS, ICP_FIELDS = ("start", "end"), ("at", "bands"), ("top_percent", "by")


def _definitions(data: dict) -> list[tuple[str, str]]:
    return [
        (DEFINITION_LABELS.get(key, key.replace("_", " ").capitalize()), text)
        for key, text in (data.get("definitions") or {}).items()
    ]


def _whole_percent(share: float) -> str:
    return f"{share * 100:.0f}"


def _auc_text(data: dict) -> str:
    """The concordance in words: "a won lead outscored a lost one 74 % of the time (69–79 %)"."""
    if data.get("auc") is None:
        return ""
    text = f"a won lead outscored a lost one {_whole_percent(data['auc'])} % of the time"
    if data.get("auc_ci_low") is not None and data.get("auc_ci_high") is not None:
        text += f" ({_whole_percent(data['auc_ci_low'])}–{_whole_percent(data['auc_ci_high'])} %)"
    return text


def _two_places(value: float) -> str:
    """As the tables write it (floatformat:2, half up), so a bar and its row say the same."""
    return str(Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _lift_text(row: dict) -> str:
    text = f"×{_two_places(row['lift'])}"
    if row["ci_low"] is not None and row["ci_high"] is not None:
        text += f" ({_two_places(row['ci_low'])}–{_two_places(row['ci_high'])})"
    return text


def _lift_chart(rows: list[dict], label) -> dict:
    """The rows with a lift (a rule that never fired, or fired on every lead, has none to draw)."""
    measured = [row for row in rows if row["lift"] is not None]
    return charts.lift_bars(
        [(label(row), row["lift"], row["ci_low"], row["ci_high"], _lift_text(row)) for row in measured]
    )


def _calibration_section(chosen: Choices) -> dict:
    data = calibration.calibration(chosen.period, at=chosen.at, banding=chosen.bands)
    return {
        "data": data,
        "chart": charts.reliability(data["bands"], overall=rate(data["won"], data["outcomes"])),
        "auc_text": _auc_text(data),
        "definitions": _definitions(data),
    }


def _rater_cells(options: list[dict], rater: dict, team: dict) -> list[dict]:
    """Per answer: the share of their answers it was, the share expected of them on comparable
    leads, and the close rate of the leads behind it (of how many). The team's row: its share."""
    distribution = rater.get("distribution") or team.get("distribution") or {}
    expected, close_rate, leads = rater.get("expected") or {}, rater.get("close_rate") or {}, rater.get("leads") or {}
    return [
        {
            "share": distribution.get(option["key"]),
            "expected": expected.get(option["key"]),
            "close_rate": close_rate.get(option["key"]),
            "leads": leads.get(option["key"]),
        }
        for option in options
    ]


def _raters_section(chosen: Choices) -> dict:
    data = raters.raters(chosen.period)
    questions = []
    for question in data["questions"]:
        options, team = question["options"], question["team"]
        rows = [
            {
                "user": rater["user"],
                "answers": rater["answers"],
                "cells": _rater_cells(options, rater, team),
                "flagged": rater["flagged"],
                "why": rater["why"],
            }
            for rater in question["raters"]
        ]
        questions.append(
            {
                "key": question["question"],
                "text": question.get("text") or question["question"],
                "options": options,
                "team": {"answers": team["answers"], "cells": _rater_cells(options, {}, team)},
                "rows": rows,
                "flagged": sum(1 for row in rows if row["flagged"]),
                "columns": 2 * len(options) + 3,
            }
        )
    return {"data": data, "questions": questions, "definitions": _definitions(data)}


def _rules_section(chosen: Choices) -> dict:
    data = rules.rules(chosen.period)
    return {
        "data": data,
        "rows": data["rules"],
        "chart": _lift_chart(data["rules"], lambda row: row["label"] or row["rule"]),
        "definitions": _definitions(data),
        "enough": data["outcomes"] >= MIN_OUTCOMES,
        "suggested": sum(1 for row in data["rules"] if row["suggested_points"] is not None),
        "min_outcomes": MIN_OUTCOMES,
    }


def _profile_card(traits: list[dict]) -> list[dict]:
    """The over-represented values, field by field, most lifted first: who the best customers are."""
    card: dict[str, dict] = {}
    for trait in traits:
        if trait["over_represented"]:
            card.setdefault(trait["field"], {"field": trait["field"], "label": trait["label"], "values": []})
            card[trait["field"]]["values"].append(trait)
    for entry in card.values():
        entry["values"].sort(key=lambda trait: -(trait["lift"] or 0))
    return list(card.values())


SEGMENT_LABELS = {"size": "Company size", "breadth": "What they buy"}


def _icp_section(chosen: Choices) -> dict:
    if chosen.top is None:
        return {"data": None}
    data = icp.icp(chosen.period, top=chosen.top, by=chosen.by)
    over = [trait for trait in data["traits"] if trait["over_represented"]]
    return {
        "data": data,
        "card": _profile_card(data["traits"]),
        "chart": _lift_chart(over, lambda trait: f"{trait['label']}: {trait['display']}"),
        "segments": [
            {"label": SEGMENT_LABELS.get(name, name.capitalize()), "rows": rows}
            for name, rows in data["segments"].items()
            if rows
        ],
        # The buttons only where they would write something: profile rules from the profile
        # fields, a segment from the fields a campaign can filter on.
        "can_score": bool(icp.rules_from(data["traits"])),
        "can_segment": bool(icp.segment_from(data["traits"])),
        "definitions": _definitions(data),
    }


SECTIONS = {
    "calibration": _calibration_section,
    "raters": _raters_section,
    "rules": _rules_section,
    "icp": _icp_section,
}


def _page(request, chosen: Choices, *, refused: dict[str, str] | None = None, status: int = 200):
    """The page. `refused`: a section's action that was refused (why), shown beside its button."""
    context = {"chosen": chosen, "errors": chosen.errors, "refused": refused or {}}
    section_errors = {}
    for name, build in SECTIONS.items():
        try:
            context[name] = build(chosen)
        except ValidationError as exc:  # settings the analysis itself refuses: said, never a 500
            context[name], section_errors[name] = {"data": None}, error_text(exc)
            status = 400 if status == 200 else status
        except Conflict as exc:  # nothing to draw it from (no customer with revenue …): said
            context[name], section_errors[name] = {"data": None}, error_text(exc)
    if context["icp"].get("can_score") and not context["rules"].get("enough"):
        context["icp"]["can_score"] = False  # the draft takes no suggestion built on too few outcomes
    context.update(
        {
            "section_errors": section_errors,
            "period_errors": {k: v for k, v in chosen.errors.items() if k in PERIOD_FIELDS},
            "calibration_errors": {k: v for k, v in chosen.errors.items() if k in CALIBRATION_FIELDS},
            "icp_errors": {k: v for k, v in chosen.errors.items() if k in ICP_FIELDS},
            "at_labels": AT_LABELS,
            "banding_labels": BANDING_LABELS,
            "by_labels": BY_LABELS,
            "top_range": TOP_RANGE,
            "default_days": DEFAULT_DAYS,
            "csv": _csv_queries(chosen),
        }
    )
    if status == 200 and chosen.errors:
        status = 400
    return render(request, "reports/analysis.html", context, status=status)


def _csv_queries(chosen: Choices) -> dict[str, str]:
    """Each download link's query: the page's period and, for its table, its settings."""
    period = chosen.period.as_params()
    return {
        "calibration": urlencode({**period, "at": chosen.at, "bands": chosen.bands}),
        "raters": urlencode(period),
        "rules": urlencode(period),
        "icp": urlencode({**period, "top": chosen.top, "by": chosen.by}) if chosen.top is not None else "",
    }


@marketing_only
def analysis(request):
    return _page(request, _choices(request.GET))


def _act(request, section: str, fields: tuple[str, ...], act, done: str):
    """A POST from one of the page's buttons: with the page's settings as they were shown, call
    the service; on success say so and go where the result is, on refusal show the page again
    with the reason beside the button (409 for a state that forbids it, 400 for bad input) and
    nothing written."""
    chosen = _choices(request.POST)
    if any(key in chosen.errors for key in (*PERIOD_FIELDS, *fields)):
        return _page(request, chosen, refused={section: "Nothing was written: correct the settings first."})
    try:
        result = act(chosen)
    except Conflict as exc:
        return _page(request, chosen, refused={section: error_text(exc)}, status=409)
    except ValidationError as exc:
        return _page(request, chosen, refused={section: error_text(exc)}, status=400)
    return done(result)


@marketing_only
@require_POST
def propose_rules(request):
    """ "Propose as a draft": the points the outcomes suggest for every rule, into the scoring draft."""

    def act(chosen):
        return suggest.suggest({"rules": True, **chosen.period.as_params()}, by=request.user)

    def done(draft):
        said = f"The draft holds the points the outcomes suggest ({_changed(draft)})"
        messages.success(request, f"{said}: preview it, then publish if it holds.")
        return redirect("scoring-rules")

    return _act(request, "rules", (), act, done)


def _changed(draft: dict) -> str:
    count = len(draft.get("changes") or [])
    return f"{count} rule{'s' if count != 1 else ''} changed" if count else "nothing needed changing"


@marketing_only
@require_POST
def profile_points(request):
    """ "Use as profile-fit points": the ideal customer profile as profile rules in the draft."""

    def act(chosen):
        data = {"rules": False, "profile": True, **chosen.period.as_params(), "top": chosen.top, "by": chosen.by}
        return suggest.suggest(data, by=request.user)

    def done(draft):
        said = f"The draft holds the ideal customer profile's points ({_changed(draft)})"
        messages.success(request, f"{said}: preview it, then publish if it holds.")
        return redirect("scoring-rules")

    return _act(request, "icp", ICP_FIELDS, act, done)


@marketing_only
@require_POST
def save_segment(request):
    """ "Save as a segment": a campaign whose segment finds prospects who look like the best customers."""

    def act(chosen):
        return icp.save_segment(chosen.period, top=chosen.top, by=chosen.by, user=request.user)

    def done(campaign):
        messages.success(request, f"Saved as the segment of the campaign “{campaign.name}”.")
        return redirect("campaign-edit", pk=campaign.pk)

    return _act(request, "icp", ICP_FIELDS, act, done)


@marketing_only
def download(request, name: str):
    """One of the page's tables as CSV, for the same period and settings."""
    return csv_download(request, name, tables.table_for)
