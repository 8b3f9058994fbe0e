"""POST /api/v1/reports/icp/segment/: "Save as a segment" (CONTRACT "Score analysis"): a
campaign whose segment finds prospects who look like the best customers. Marketing and Managers;
a 400 for a bad period, top share or grouping, a 409 when nothing is over-represented."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.permissions import IsMarketingOrManager
from reports.analysis import icp
from reports.periods import parse_period


class IdealCustomerSegmentView(APIView):
    permission_classes = [IsMarketingOrManager]

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={201: OpenApiTypes.OBJECT},
        summary="Save the best customers' look-alikes as a campaign segment",
        description='Body: {"start"?, "end"?, "top"? (0.01–0.5, default 0.2), "by"? (contact or company)}. '
        'Answers 201 {"campaign": id, "name", "segment"}; 409 when no value is over-represented.',
    )
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        dates = {name: str(data[name]) for name in ("start", "end") if data.get(name) is not None}
        period = parse_period(dates)
        top, by = icp.parse(data)
        campaign = icp.save_segment(period, top=top, by=by, user=request.user)
        body = {"campaign": campaign.pk, "name": campaign.name, "segment": campaign.segment}
        return Response(body, status=status.HTTP_201_CREATED)
