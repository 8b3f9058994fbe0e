"""The score analysis as tables (columns and rows) for the page's CSV downloads: the same columns
as the API's CSV (reports/analysis/api.py), so a file from the page and one from the API line up."""

import json

from reports.analysis import calibration, icp, raters, rules
from reports.periods import Period
from reports.tables import Table

CALIBRATION = ["band", "low", "high", "leads", "won", "close_rate", "ci_low", "ci_high"]
RATERS = ["question", "user", "answers", "distribution", "close_rate", "flagged", "why"]
RULES = [
    "rule",
    "label",
    "fired",
    "close_rate_with",
    "close_rate_without",
    "lift",
    "ci_low",
    "ci_high",
    "points",
    "suggested_points",
]
ICP = [
    "field",
    "value",
    "top_customers",
    "customers",
    "top_share",
    "all_share",
    "lead_share",
    "lift",
    "ci_low",
    "ci_high",
]


def calibration_table(data: dict) -> Table:
    return Table("calibration", CALIBRATION, [[row[c] for c in CALIBRATION] for row in data["bands"]])


def raters_table(data: dict) -> Table:
    """One row per question and CSR; their shares and close rates per answer as JSON objects."""
    rows = [
        [question["question"], *[_cell(rater.get(c)) for c in RATERS[1:]]]
        for question in data["questions"]
        for rater in question["raters"]
    ]
    return Table("raters", RATERS, rows)


def _cell(value):
    return json.dumps(value, sort_keys=True) if isinstance(value, dict) else value


def rules_table(data: dict) -> Table:
    return Table("rules", RULES, [[row.get(c) for c in RULES] for row in data["rules"]])


def icp_table(data: dict) -> Table:
    return Table("icp", ICP, [[row.get(c) for c in ICP] for row in data["traits"]])


def table_for(name: str, params, period: Period) -> Table:
    """A table by its name in a download link: calibration (`at`, `bands`), raters, rules, icp
    (`top` as a share, 0.01–0.5, and `by`); a ValidationError for bad settings, LookupError for
    no such table."""
    if name == "calibration":
        at, banding = calibration.parse(params)
        return calibration_table(calibration.calibration(period, at=at, banding=banding))
    if name == "raters":
        return raters_table(raters.raters(period))
    if name == "rules":
        return rules_table(rules.rules(period))
    if name == "icp":
        top, by = icp.parse(params)
        return icp_table(icp.icp(period, top=top, by=by))
    raise LookupError(name)
