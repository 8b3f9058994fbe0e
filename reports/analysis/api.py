"""Score analysis through the API (CONTRACT "Score analysis"): JSON, or CSV with `Accept:
text/csv` or `?format=csv`, like the other reports; Marketing and Managers only. The figures are
reports.analysis's; these views only read the parameters and shape the tables."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.permissions import IsMarketingOrManager
from reports.analysis import calibration, icp, raters, rules, suggest, tables
from reports.api import PERIOD, ReportView
from reports.periods import parse_period


class AnalysisView(ReportView):
    permission_classes = [IsMarketingOrManager]


class CalibrationView(AnalysisView):
    @extend_schema(
        parameters=[
            *PERIOD,
            OpenApiParameter("at", str, enum=list(calibration.AT), description="Default sales_ready."),
            OpenApiParameter("bands", str, enum=list(calibration.BANDINGS), description="Default deciles."),
        ],
        responses=OpenApiTypes.OBJECT,
        summary="Close rate per score band, and the concordance",
    )
    def get(self, request):
        at, banding = calibration.parse(request.query_params)
        return Response(calibration.calibration(parse_period(request.query_params), at=at, banding=banding))

    def table(self, data):
        return tables.calibration_table(data)


class RatersView(AnalysisView):
    @extend_schema(parameters=PERIOD, responses=OpenApiTypes.OBJECT, summary="Each CSR's answers against the team's")
    def get(self, request):
        return Response(raters.raters(parse_period(request.query_params)))

    def table(self, data):
        return tables.raters_table(data)


class RulesView(AnalysisView):
    @extend_schema(parameters=PERIOD, responses=OpenApiTypes.OBJECT, summary="What each rule is worth")
    def get(self, request):
        return Response(rules.rules(parse_period(request.query_params)))

    def table(self, data):
        return tables.rules_table(data)


class IdealCustomerView(AnalysisView):
    @extend_schema(
        parameters=[
            *PERIOD,
            OpenApiParameter("top", float, description="The best customers' share, by revenue: 0.01–0.5 (0.2)."),
            OpenApiParameter("by", str, enum=list(icp.GROUPINGS), description="Rank contacts or companies."),
        ],
        responses=OpenApiTypes.OBJECT,
        summary="The ideal customer profile, drawn from the best customers",
    )
    def get(self, request):
        top, by = icp.parse(request.query_params)
        return Response(icp.icp(parse_period(request.query_params), top=top, by=by))

    def table(self, data):
        return tables.icp_table(data)


class SuggestView(APIView):
    """POST /api/v1/scoring/draft/suggest/: the points the outcomes suggest, written into the
    scoring draft (where the preview and publish take over); 409 with the reason when there is
    too little to go on. Nothing published changes."""

    permission_classes = [IsMarketingOrManager]

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT, summary="Suggested points, in the draft")
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        return Response(suggest.suggest(data, by=request.user))
