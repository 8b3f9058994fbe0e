"""The scoreboard's API (CONTRACT.md "Reports"): summary, funnel, sources and the pipeline
calculator, in JSON, or in CSV with `Accept: text/csv` or `?format=csv`."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from config.spreadsheet import csv_lines
from reports import pipeline, selectors, sources, tables
from reports.periods import parse_period

PERIOD = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day (default: 89 days before the end)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day, included (default: today)."),
]


class CSVRenderer(BaseRenderer):
    """A report's table as CSV; an error as a one-column table of its messages."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        view = (renderer_context or {}).get("view")
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code >= 400:
            lines = [[f"{field}: {' '.join(map(str, m)) if isinstance(m, list) else m}"] for field, m in data.items()]
            return "".join(csv_lines(["error"], lines))
        table = view.table(data)
        response["Content-Disposition"] = f'attachment; filename="{table.name}.csv"'
        return "".join(csv_lines(table.columns, table.rows))


class ReportView(APIView):
    renderer_classes = [JSONRenderer, CSVRenderer]

    def table(self, data) -> tables.Table:
        raise NotImplementedError


class SummaryView(ReportView):
    @extend_schema(parameters=PERIOD, responses=OpenApiTypes.OBJECT, summary="The cohort's figures")
    def get(self, request):
        return Response(selectors.summary(parse_period(request.query_params)))

    def table(self, data):
        return tables.summary_table(data)


class FunnelView(ReportView):
    @extend_schema(parameters=PERIOD, responses=OpenApiTypes.OBJECT, summary="The cohort by stage reached")
    def get(self, request):
        return Response(selectors.funnel(parse_period(request.query_params)))

    def table(self, data):
        return tables.funnel_table(data)


class SourcesView(ReportView):
    @extend_schema(
        parameters=[
            *PERIOD,
            OpenApiParameter("group", str, enum=list(sources.GROUPINGS), description="Default utm_source."),
            OpenApiParameter("ordering", str, description="A column, - for descending (default -leads)."),
        ],
        responses=OpenApiTypes.OBJECT,
        summary="Return on each lead source",
    )
    def get(self, request):
        params = request.query_params
        self.group = params.get("group") or "utm_source"
        rows = sources.sources(parse_period(params), self.group, ordering=params.get("ordering") or "-leads")
        return Response(rows)

    def table(self, data):
        return tables.sources_table(self.group, data)


class PipelineView(ReportView):
    @extend_schema(
        parameters=[
            *PERIOD,
            OpenApiParameter("target", float, required=True, description="The revenue to reach."),
            OpenApiParameter("close_rate", float, description="0 < rate ≤ 1; default: the period's measured one."),
            OpenApiParameter("avg_deal", float, description="Default: the period's average won amount."),
        ],
        responses=OpenApiTypes.OBJECT,
        summary="The pipeline calculator",
    )
    def get(self, request):
        inputs = pipeline.parse_inputs(request.query_params)
        measured = sources.measured_rates(parse_period(request.query_params))
        return Response(pipeline.calculate(**inputs, measured=measured))

    def table(self, data):
        return tables.pipeline_table(data)
