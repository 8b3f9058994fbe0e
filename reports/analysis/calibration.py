"""Calibration: does a higher score close more often, and by how much?

One query groups the period's outcomes by the score they had when it counted (when they became
sales-ready, or at their first inquiry) and whether they were won: at most 101 rows. From that
histogram come each band's close rate with its Wilson interval, the concordance (AUC) with its
Hanley–McNeil interval, and the warnings: too few outcomes, a band holding none, a hotter band
closing less than a colder one beyond the noise (a two-proportion test at 5 %), a score that
tells won from lost no better than chance.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Count

from reports import stats
from reports.analysis.outcomes import WON, outcomes, rate, rounded, too_few
from reports.periods import Period
from reports.router import reading_reports
from scoring.services import published_rule_book

AT = {"sales_ready": "sales_ready_score", "inquiry": "inquiry_score"}
BANDINGS = ("deciles", "quintiles", "temperature")
DEFINITIONS = {
    "outcomes": "Leads whose outcome (won, unclosed, dead) fell in the period and that had a score at that moment.",
    "close_rate": "Won ÷ leads in the band (won means won or a customer since).",
    "ci": "The 95 % Wilson interval of the close rate: where the true rate lies, given so few or so many leads.",
    "auc": "The chance that a won lead had scored higher than a lost one (ties count half): 0.5 is a coin, "
    "1 a perfect order. With its 95 % interval (Hanley & McNeil).",
}


def parse(params) -> tuple[str, str]:
    errors = {}
    at = params.get("at") or "sales_ready"
    banding = params.get("bands") or "deciles"
    if at not in AT:
        errors["at"] = [f"Measure at {' or '.join(AT)}."]
    if banding not in BANDINGS:
        errors["bands"] = [f"Band by {', '.join(BANDINGS)}."]
    if errors:
        raise ValidationError(errors)
    return at, banding


def bands(banding: str) -> list[tuple[str, int, int]]:
    """(name, low, high) with both ends included, coldest first."""
    if banding == "temperature":
        thresholds = published_rule_book().thresholds
        return [
            ("cold", 0, thresholds.warm - 1),
            ("warm", thresholds.warm, thresholds.hot - 1),
            ("hot", thresholds.hot, 100),
        ]
    width = 10 if banding == "deciles" else 20
    edges = list(range(0, 100, width))
    return [
        (f"{low}–{100 if low == edges[-1] else low + width - 1}", low, 100 if low == edges[-1] else low + width - 1)
        for low in edges
    ]


def histogram(period: Period, at: str) -> tuple[dict[int, int], dict[int, int]]:
    """({score: won leads}, {score: lost leads}) of the period's outcomes."""
    field = AT[at]
    with reading_reports():
        rows = (
            outcomes(period)
            .filter(**{f"{field}__isnull": False})
            .values_list(field)
            .annotate(leads=Count("stage"), won=Count("stage", filter=WON))  # from lead_outcome_idx alone
            .values_list(field, "leads", "won")
        )
        rows = list(rows)
    won = {score: n_won for score, _n, n_won in rows if n_won}
    lost = {score: n - n_won for score, n, n_won in rows if n - n_won}
    return won, lost


def calibration(period: Period, *, at: str = "sales_ready", banding: str = "deciles") -> dict:
    won_by_score, lost_by_score = histogram(period, at)
    total = sum(won_by_score.values()) + sum(lost_by_score.values())
    rows = []
    for name, low, high in bands(banding):
        won = sum(n for score, n in won_by_score.items() if low <= score <= high)
        leads = won + sum(n for score, n in lost_by_score.items() if low <= score <= high)
        ci_low, ci_high = stats.wilson(won, leads)
        row = {"band": name, "low": low, "high": high, "leads": leads, "won": won, "close_rate": rate(won, leads)}
        rows.append(row | {"ci_low": rounded(ci_low), "ci_high": rounded(ci_high)})
    area, area_low, area_high = stats.auc(won_by_score, lost_by_score)
    return {
        "start": period.start,
        "end": period.end,
        "at": at,
        "banding": banding,
        "outcomes": total,
        "won": sum(won_by_score.values()),
        "bands": rows,
        "auc": rounded(area),
        "auc_ci_low": rounded(area_low),
        "auc_ci_high": rounded(area_high),
        "warnings": warnings(rows, total, area_low, area_high),
        "definitions": DEFINITIONS,
    }


def warnings(rows: list[dict], total: int, auc_low, auc_high) -> list[str]:
    said = [too_few(total)] if too_few(total) else []
    if not total:
        return said
    empty = [row["band"] for row in rows if not row["leads"]]
    if empty:
        said.append(f"No outcome had a score in {', '.join(empty)}: those bands say nothing.")
    inversions = []
    for i, colder in enumerate(rows):
        for hotter in rows[i + 1 :]:
            if not colder["leads"] or not hotter["leads"] or hotter["close_rate"] >= colder["close_rate"]:
                continue
            p = stats.two_proportions(colder["won"], colder["leads"], hotter["won"], hotter["leads"])
            if p is not None and p < 0.05:
                inversions.append((p, colder, hotter))
    for p, colder, hotter in sorted(inversions, key=lambda found: found[0])[:3]:
        said.append(
            f"Band {hotter['band']} closes less ({hotter['close_rate']:.0%} of {hotter['leads']}) than the colder "
            f"band {colder['band']} ({colder['close_rate']:.0%} of {colder['leads']}), beyond the noise (p = {p:.3f}): "
            "the rules behind those points deserve a look."
        )
    if auc_low is not None and auc_low <= 0.5 <= auc_high and total >= 50:
        said.append(
            f"The score tells won from lost no better than chance: the concordance's interval "
            f"({auc_low:.2f}–{auc_high:.2f}) holds 0.5."
        )
    return said
