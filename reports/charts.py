"""Pictures drawn on the server as SVG (no script, no CDN): the geometry here, the markup in
templates/reports/_bars.html. Every chart has its numbers beside it in a table."""

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
