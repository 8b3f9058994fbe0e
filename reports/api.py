"""The scoreboard's API (CONTRACT.md "Reports"): summary, funnel, sources and the pipeline
calculator, in JSON, or in CSV with `Accept: text/csv` or `?format=csv`."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from config.spreadsheet import csv_lines
from reports import engagement, pipeline, selectors, sources, tables
from reports.periods import parse_period

PERIOD = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day (default: 89 days before the end)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day, included (default: today)."),
]


def _ratio(**kw):
    return serializers.FloatField(allow_null=True, min_value=0, **kw)


def _money(**kw):
    return serializers.CharField(allow_null=True, help_text="A decimal amount, e.g. 1200.00.", **kw)


class SummarySerializer(serializers.Serializer):
    """The answer's shape, for the schema (selectors.summary builds it)."""

    start = serializers.DateField()
    end = serializers.DateField()
    leads = serializers.IntegerField()
    inquiries = serializers.IntegerField()
    sales_ready = serializers.IntegerField()
    won = serializers.IntegerField()
    unclosed = serializers.IntegerField()
    dead = serializers.IntegerField()
    revenue = _money()
    close_ratio = _ratio()
    avg_transaction = _money()
    upsell_rate = _ratio()
    upsell_revenue = _money()
    avg_transaction_with_upsell = _money()
    avg_transaction_without_upsell = _money()
    referral_rate = _ratio()
    median_sales_cycle_days = serializers.FloatField(allow_null=True)
    median_hot_response_minutes = serializers.FloatField(allow_null=True)
    hot_unanswered = serializers.IntegerField()
    letters_sent = serializers.IntegerField()
    letter_response_rate = _ratio()
    letter_conversion_rate = _ratio()


class FunnelRowSerializer(serializers.Serializer):
    stage = serializers.CharField()
    label = serializers.CharField()
    definition = serializers.CharField()
    count = serializers.IntegerField()
    share = _ratio()
    of_previous = _ratio()


class SourceRowSerializer(serializers.Serializer):
    key = serializers.JSONField(allow_null=True, help_text="The grouping's value: an id, or the UTM source.")
    source = serializers.CharField()
    leads = serializers.IntegerField()
    won = serializers.IntegerField()
    close_ratio = _ratio()
    revenue = _money()
    cost = _money()
    cost_per_lead = _money()
    cost_per_sale = _money()
    roi = serializers.FloatField(allow_null=True)
    quality = serializers.FloatField(allow_null=True)


class PipelineSerializer(serializers.Serializer):
    target = _money()
    close_rate = _ratio()
    close_rate_measured = serializers.BooleanField()
    avg_deal = _money()
    avg_deal_measured = serializers.BooleanField()
    pipeline_needed = _money()
    leads_needed = serializers.IntegerField(allow_null=True)
    open_leads = serializers.IntegerField()
    open_pipeline = _money()
    open_without_estimate = serializers.IntegerField(
        help_text="Of the open leads, how many have no estimated value: open_pipeline counts none of them."
    )
    gap_leads = serializers.IntegerField(allow_null=True)
    gap_money = _money()


class CSVRenderer(BaseRenderer):
    """A report's table as CSV (errors stay JSON: ReportView.handle_exception)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        view = renderer_context["view"]
        response = renderer_context["response"]
        table = view.table(data)
        response["Content-Disposition"] = f'attachment; filename="{table.name}.csv"'
        return "".join(csv_lines(table.columns, table.rows))


class ReportView(APIView):
    renderer_classes = [JSONRenderer, CSVRenderer]

    def handle_exception(self, exc):
        """A refusal is answered in JSON, the fields and their reasons, whatever was asked for."""
        response = super().handle_exception(exc)
        self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), "application/json"
        return response

    def table(self, data) -> tables.Table:
        raise NotImplementedError


class SummaryView(ReportView):
    @extend_schema(parameters=PERIOD, responses=SummarySerializer, summary="The cohort's figures")
    def get(self, request):
        return Response(selectors.summary(parse_period(request.query_params)))

    def table(self, data):
        return tables.summary_table(data)


class FunnelView(ReportView):
    @extend_schema(parameters=PERIOD, responses=FunnelRowSerializer(many=True), summary="The cohort by stage reached")
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
        responses=SourceRowSerializer(many=True),
        summary="Return on each lead source",
    )
    def get(self, request):
        params = request.query_params
        self.group = params.get("group") or "utm_source"
        rows = sources.sources(parse_period(params), self.group, ordering=params.get("ordering") or "-leads")
        return Response(rows)

    def table(self, data):
        return tables.sources_table(self.group, data)


class OfferEngagementSerializer(serializers.Serializer):
    code = serializers.CharField()
    headline = serializers.CharField()
    tracked_url = serializers.CharField(allow_null=True, help_text="The offer's tracked address to print on ads.")
    human_opens = serializers.IntegerField(help_text="Opens of its e-mails by a person.")
    machine_opens = serializers.IntegerField(help_text="Opens by privacy proxies and mail scanners: never scored.")
    clicks = serializers.IntegerField()
    scans = serializers.IntegerField(help_text="Scans of its letters' QR codes.")
    forwards = serializers.IntegerField()
    leads = serializers.IntegerField(help_text="Leads that came on the offer.")
    sales_ready = serializers.IntegerField(help_text="Of those, ever sales-ready.")
    won = serializers.IntegerField()


class OfferEngagementView(ReportView):
    @extend_schema(responses=OfferEngagementSerializer(many=True), summary="What prospects did with each offer")
    def get(self, request):
        return Response(engagement.offers())

    def table(self, data):
        return tables.Table("offers", engagement.COLUMNS, [[row[c] for c in engagement.COLUMNS] for row in data])


class PipelineView(ReportView):
    @extend_schema(
        parameters=[
            *PERIOD,
            OpenApiParameter("target", float, required=True, description="The revenue to reach."),
            OpenApiParameter("close_rate", float, description="0 < rate ≤ 1; default: the period's measured one."),
            OpenApiParameter("avg_deal", float, description="Default: the period's average won amount."),
        ],
        responses=PipelineSerializer,
        summary="The pipeline calculator",
    )
    def get(self, request):
        inputs = pipeline.parse_inputs(request.query_params)
        measured = sources.measured_rates(parse_period(request.query_params))
        return Response(pipeline.calculate(**inputs, measured=measured))

    def table(self, data):
        return tables.pipeline_table(data)
