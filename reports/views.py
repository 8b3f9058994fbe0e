"""/reports/: the scoreboard both teams read, with the calculator and every table as CSV."""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from config.errors import error_text
from config.sorting import header_sort
from config.spreadsheet import csv_lines
from crm.access import staff_required
from crm.roles import Role, has_role
from crm.templatetags.display import percent
from reports import charts, cohorts, pipeline, selectors, sources, tables
from reports.periods import parse_period
from reports.router import reading_reports
from reports.sources import GROUPINGS


def _period_or_default(request):
    """The period asked for, or the default one with the reason the request's was refused."""
    try:
        return parse_period(request.GET), {}
    except ValidationError as exc:
        return parse_period({}), exc.message_dict


def _source_tables(request, period, stale) -> list[dict]:
    found = []
    for name, group in GROUPINGS.items():
        ordering = request.GET.get(f"order_{name}") or "-leads"
        try:
            rows = sources.sources(period, name, ordering=ordering, stale=stale)
        except ValidationError:
            ordering = "-leads"
            rows = sources.sources(period, name, ordering=ordering, stale=stale)
        headers = _headers(request, name, ordering)
        found.append({"name": name, "group": group, "rows": rows, "ordering": ordering, "headers": headers})
    return found


def _headers(request, name: str, ordering: str) -> list[dict]:
    """Each column's header: a link that sorts by it (again: the other way), and its aria-sort."""
    headers = []
    for column in sources.COLUMNS:
        params = request.GET.copy()
        # Figures run largest first on the first click; names A to Z.
        params[f"order_{name}"], aria_sort = header_sort(column, ordering, first_descending=column != "source")
        headers.append(
            {
                "label": sources.LABELS[column],
                "href": f"?{params.urlencode()}#by-{name}",
                "sort": aria_sort or None,
                "numeric": column != "source",
            }
        )
    return headers


def _roi_chart(rows: list[dict]) -> dict:
    """The placements' ROI, each labelled in full above its bar and valued as in its table."""
    priced = [row for row in rows if row["roi"] is not None][:12]
    return charts.horizontal_bars(
        [(r["source"], r["roi"], percent(r["roi"])) for r in priced], signed=True, labels_above=True
    )


@staff_required
def scoreboard(request):
    period, period_errors = _period_or_default(request)
    with reading_reports():
        stale = cohorts.stale()  # read once: which days every report below counts live
    figures = selectors.summary(period, stale=stale)
    mine = selectors.summary(period, owner=request.user, stale=stale) if has_role(request.user, Role.SALES) else None
    funnel = selectors.funnel(period, stale=stale)
    weekly = selectors.weekly(period, stale=stale)
    scores = selectors.score_distribution(stale=stale)
    source_tables = _source_tables(request, period, stale)
    context = {
        "period": period,
        "period_errors": period_errors,
        "figures": figures,
        "mine": mine,
        "definitions": selectors.DEFINITIONS,
        "source_definitions": sources.DEFINITIONS,
        "source_labels": sources.LABELS,
        "funnel": funnel,
        "funnel_chart": charts.horizontal_bars([(r["label"], r["count"], str(r["count"])) for r in funnel]),
        "weekly": weekly,
        "weekly_chart": charts.columns([(w.start, w.leads, w.won) for w in weekly]),
        "scores": scores,
        "scores_chart": charts.horizontal_bars([(b["band"], b["count"], str(b["count"])) for b in scores]),
        "source_tables": source_tables,
        # Every cost is a placement's (or a list's): the placements show where the money went.
        "roi_chart": _roi_chart(next(t["rows"] for t in source_tables if t["name"] == "placement")),
        "calculator": _calculator(request.GET, period, measured=_measured(figures)),
    }
    return render(request, "reports/scoreboard.html", context)


def _measured(figures: dict) -> dict:
    return sources.rates(figures["leads"], figures["won"], figures["revenue"])


def _calculator(params, period, measured: dict | None = None) -> dict:
    """The calculator's inputs as typed (close rate in percent), its figures, or its errors."""
    typed = {key: params.get(key, "") for key in ("target", "close_rate_percent", "avg_deal")}
    measured = measured if measured is not None else sources.measured_rates(period)
    result, errors = None, {}
    if typed["target"]:
        rate = typed["close_rate_percent"].strip()
        api_params = {"target": typed["target"], "avg_deal": typed["avg_deal"]}
        try:
            api_params["close_rate"] = str(float(rate.rstrip("%")) / 100) if rate else ""
        except ValueError:
            errors["close_rate"] = ["Give the close rate in percent, e.g. 10."]
        if not errors:
            try:
                result = pipeline.calculate(**pipeline.parse_inputs(api_params), measured=measured)
            except ValidationError as exc:
                errors = exc.message_dict
    rate_text = ""
    if result and result["close_rate"]:
        # A measured rate reads as the summary's close ratio does (percent: one decimal); a typed one as typed.
        measured_rate = result["close_rate_measured"]
        rate_text = percent(result["close_rate"]) if measured_rate else _typed_percent(result["close_rate"])
    return {"typed": typed, "measured": measured, "result": result, "errors": errors, "close_rate_text": rate_text}


def _typed_percent(rate: float) -> str:
    return f"{rate * 100:.2f}".rstrip("0").rstrip(".") + "%"


@staff_required
def calculator(request):
    """The calculator's result alone: the form recalculates as the user types."""
    period, _ = _period_or_default(request)
    return render(request, "reports/_calculator_result.html", {"calculator": _calculator(request.GET, period)})


@staff_required
def download(request, name: str):
    """One of the page's tables as CSV, for the same period."""
    return csv_download(request, name, tables.table_for)


def csv_download(request, name: str, table_for):
    """The table `table_for(name, params, period)` makes, as a CSV file named for its period; 400
    with the reason for a bad setting, 404 for no such table (the scoreboard's, the analysis')."""
    try:
        period = parse_period(request.GET)
        table = table_for(name, request.GET, period)
    except ValidationError as exc:
        return HttpResponse(error_text(exc), status=400, content_type="text/plain; charset=utf-8")
    except LookupError as exc:
        raise Http404("No such table.") from exc
    response = StreamingHttpResponse(csv_lines(table.columns, table.rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{table.name}-{period.start}-{period.end}.csv"'
    return response
