"""Each report as a table (columns and rows): what the API's CSV, the page's downloads and the
page's own tables share."""

from dataclasses import dataclass

from reports import pipeline, selectors, sources
from reports.periods import Period


@dataclass
class Table:
    name: str
    columns: list[str]
    rows: list[list]


def summary_table(figures: dict) -> Table:
    rows = [[key, figures[key], selectors.DEFINITIONS.get(key, "")] for key in figures if key not in ("start", "end")]
    return Table("summary", ["figure", "value", "definition"], rows)


def funnel_table(rows: list[dict]) -> Table:
    columns = ["stage", "count", "share", "of_previous"]
    return Table("funnel", columns, [[row[c] for c in columns] for row in rows])


def sources_table(group: str, rows: list[dict]) -> Table:
    return Table(f"sources-{group}", sources.COLUMNS, [[row[c] for c in sources.COLUMNS] for row in rows])


def pipeline_table(figures: dict) -> Table:
    return Table("pipeline", ["figure", "value"], [[key, value] for key, value in figures.items()])


def table_for(name: str, params, period: Period) -> Table:
    """A table by its name in a download link: summary, funnel, sources-<group>, pipeline, weekly, scores."""
    if name == "summary":
        return summary_table(selectors.summary(period))
    if name == "funnel":
        return funnel_table(selectors.funnel(period))
    if name.startswith("sources-"):
        group = name.removeprefix("sources-")
        return sources_table(group, sources.sources(period, group, ordering=params.get("ordering") or "-leads"))
    if name == "weekly":
        return Table("weekly", ["week", "leads", "won"], [[w.start, w.leads, w.won] for w in selectors.weekly(period)])
    if name == "scores":
        bands = selectors.score_distribution()
        return Table("scores", ["band", "open_leads"], [[b["band"], b["count"]] for b in bands])
    if name == "pipeline":
        inputs = pipeline.parse_inputs(params)
        measured = sources.measured_rates(period)
        return pipeline_table(pipeline.calculate(**inputs, measured=measured))
    raise LookupError(name)
