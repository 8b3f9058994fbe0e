"""Pictures drawn on the server as SVG (no script, no CDN): the geometry here, the markup in
templates/reports/_bars.html. Every chart has its numbers beside it in a table."""

import math

WIDTH, BAR_HEIGHT, GAP, LABEL_WIDTH = 640, 22, 6, 170
LABEL_LINE = 18  # a label written above its bar: one line of 13px text
LABEL_CHARS = 80  # what one line of the chart's width holds; the whole label is the bar's tooltip


def horizontal_bars(rows: list[tuple[str, float, str]], *, signed: bool = False, labels_above: bool = False) -> dict:
    """One bar per (label, value, shown text). With `signed`, bars grow left or right of a zero line.

    Short labels (stages, score bands) stand left of their bars, in LABEL_WIDTH. Labels of any
    length (a placement: "direct mail: Unclosed-prospect letter (SPRING25)") go on their own line
    above their bars, `labels_above`, so they are never cut: the left column would cut them at
    its edge, whatever the font."""
    values = [value for _, value, _ in rows]
    top = max([abs(v) for v in values] + [0]) or 1
    left = 0 if labels_above else LABEL_WIDTH
    plot = WIDTH - left - 90
    negative = signed and min(values, default=0) < 0
    zero = left + (plot / 2 if negative else 0)
    scale = (plot / 2 if negative else plot) / top
    row_height = BAR_HEIGHT + GAP + (LABEL_LINE if labels_above else 0)
    bars = []
    for index, (label, value, text) in enumerate(rows):
        length = abs(value) * scale
        x = zero - length if value < 0 else zero
        y = index * row_height + (LABEL_LINE if labels_above else 0)
        bars.append(
            {
                "label": label,
                "text": text,
                "x": round(x, 1),
                "y": y,
                "width": round(max(length, 1 if value else 0), 1),
                "text_x": round(max(x + length, zero) + 6, 1),
                "text_y": y + BAR_HEIGHT * 0.7,
                "label_y": y - 5 if labels_above else y + BAR_HEIGHT * 0.7,
                "negative": value < 0,
            }
        )
    return {
        "bars": bars,
        "width": WIDTH,
        "height": max(len(rows), 1) * row_height,
        "zero": zero,
        "label_width": LABEL_WIDTH - 8,
        "labels_above": labels_above,
        "label_chars": LABEL_CHARS if labels_above else 26,
    }


def columns(series: list[tuple[str, int, int]]) -> dict:
    """Leads and wins per week: two columns a week, leads behind, wins in front."""
    height, bottom = 180, 160
    top = max([leads for _, leads, _ in series] + [0]) or 1
    step = min(max(WIDTH / max(len(series), 1), 4), 48)  # a lone week is a column, not a wall
    bars = []
    for index, (week, leads, won) in enumerate(series):
        x = index * step
        bars.append(
            {
                "week": week,
                "x": round(x + 1, 1),
                "width": round(step - 2, 1),
                "leads_y": round(bottom - leads / top * (bottom - 10), 1),
                "leads_h": round(leads / top * (bottom - 10), 1),
                "won_y": round(bottom - won / top * (bottom - 10), 1),
                "won_h": round(won / top * (bottom - 10), 1),
                "leads": leads,
                "won": won,
            }
        )
    return {"bars": bars, "width": WIDTH, "height": height, "bottom": bottom, "top": top}


# --- Score analysis (reports/analysis): close rates with their intervals, lifts on a log scale ---

RELIABILITY_HEIGHT, PLOT_TOP, PLOT_BOTTOM, PLOT_LEFT, PLOT_RIGHT = 250, 12, 210, 46, WIDTH - 8


def _rate_y(rate: float) -> float:
    return round(PLOT_BOTTOM - rate * (PLOT_BOTTOM - PLOT_TOP), 1)


def reliability(rows: list[dict], *, overall: float | None = None) -> dict:
    """Each band's close rate as a column with its 95 % interval as an error bar, the bands along
    the x axis (coldest left), 0–100 % up the y axis; `overall`, the period's close rate, as a
    dashed line. A band with no leads keeps its place, marked "none"."""
    step = (PLOT_RIGHT - PLOT_LEFT) / max(len(rows), 1)
    bar = min(step * 0.6, 90)
    bands = []
    for index, row in enumerate(rows):
        centre = PLOT_LEFT + step * (index + 0.5)
        rate, low, high = row.get("close_rate"), row.get("ci_low"), row.get("ci_high")
        bands.append(
            {
                "band": row["band"],
                "leads": row["leads"],
                "won": row["won"],
                "close_rate": rate,
                "ci_low": low,
                "ci_high": high,
                "empty": rate is None,
                "centre": round(centre, 1),
                "x": round(centre - bar / 2, 1),
                "width": round(bar, 1),
                "y": _rate_y(rate or 0),
                "height": round(PLOT_BOTTOM - _rate_y(rate or 0), 1),
                "ci_y1": _rate_y(high) if high is not None else None,
                "ci_y2": _rate_y(low) if low is not None else None,
                "cap_x1": round(centre - min(bar / 4, 10), 1),
                "cap_x2": round(centre + min(bar / 4, 10), 1),
                "label_y": PLOT_BOTTOM + 18,
                "empty_y": PLOT_BOTTOM - 6,
            }
        )
    ticks = [
        {"y": _rate_y(share / 100), "text_y": _rate_y(share / 100) + 4, "text": f"{share}%"}
        for share in (0, 25, 50, 75, 100)
    ]
    return {
        "bands": bands,
        "ticks": ticks,
        "width": WIDTH,
        "height": RELIABILITY_HEIGHT,
        "left": PLOT_LEFT,
        "tick_x": PLOT_LEFT - 6,
        "right": PLOT_RIGHT,
        "bottom": PLOT_BOTTOM,
        "axis_label_y": RELIABILITY_HEIGHT - 6,
        "axis_label_x": round((PLOT_LEFT + PLOT_RIGHT) / 2, 1),
        "overall": overall,
        "overall_y": _rate_y(overall) if overall is not None else None,
        "overall_label_y": _rate_y(overall) - 4 if overall is not None else None,
    }


LIFT_TEXT_WIDTH = 150  # the right-hand column: "×2.4 (1.3–4.4)"
MAX_LOG2_LIFT = 4  # ×16 or ÷16 at the chart's edges; anything beyond is drawn at the edge


def lift_bars(rows: list[tuple[str, float | None, float | None, float | None, str]]) -> dict:
    """One bar per (label, lift, low, high, shown text) on a log scale around "no effect" (×1):
    a rule whose leads close more grows right, one whose leads close less grows left, its 95 %
    interval a whisker across it. Labels stand above their bars, so none is cut."""

    def log2(value):
        return math.log2(value) if value else None

    logs = [abs(v) for _, *values, _ in rows for v in map(log2, values) if v is not None]
    reach = min(max(logs + [1.0]), MAX_LOG2_LIFT)
    plot = WIDTH - LIFT_TEXT_WIDTH
    zero = plot / 2
    scale = (plot / 2 - 6) / reach

    def x_of(value):
        return round(zero + max(-reach, min(reach, math.log2(value))) * scale, 1)

    row_height = BAR_HEIGHT + GAP + LABEL_LINE
    bars = []
    for index, (label, lift, low, high, text) in enumerate(rows):
        y = index * row_height + LABEL_LINE
        end = x_of(lift) if lift else zero
        bars.append(
            {
                "label": label,
                "text": text,
                "x": min(end, zero),
                "y": y,
                "width": round(max(abs(end - zero), 1 if lift else 0), 1),
                "negative": bool(lift) and lift < 1,
                "whisker": bool(low and high),
                "ci_x1": x_of(low) if low else None,
                "ci_x2": x_of(high) if high else None,
                "ci_y": y + BAR_HEIGHT / 2,
                "cap_y1": y + 4,
                "cap_y2": y + BAR_HEIGHT - 4,
                "label_y": y - 5,
                "text_y": y + BAR_HEIGHT * 0.7,
            }
        )
    height = max(len(rows), 1) * row_height + 22
    ticks = []
    for power in range(-math.floor(reach), math.floor(reach) + 1):
        value = 2.0**power
        ticks.append({"x": x_of(value), "text": f"×{value:g}" if power >= 0 else f"×1/{2**-power}"})
    return {
        "bars": bars,
        "ticks": ticks,
        "width": WIDTH,
        "height": height,
        "zero": zero,
        "text_x": WIDTH - 4,
        "axis_y": height - 6,
        "plot_bottom": height - 20,
        "label_chars": LABEL_CHARS,
    }
