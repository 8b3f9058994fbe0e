"""Reading engagement through the API: a lead's "since our last contact", and the e-mails sent
to a lead's contact with their tracked addresses and counts (CONTRACT "Engagement tracking")."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from config.ids import parse_id
from crm.roles import Role, has_role
from leads.selectors import visible_leads
from tracking import selectors


class EngagementSerializer(serializers.Serializer):
    since = serializers.DateTimeField(
        allow_null=True, help_text="Our last call or meeting; null when nobody has called yet (then everything counts)."
    )
    opens = serializers.IntegerField(help_text="Opens by a person.")
    machine_opens = serializers.IntegerField(help_text="Opens by privacy proxies and mail scanners: never scored.")
    clicks = serializers.IntegerField()
    scans = serializers.IntegerField()
    forwards = serializers.IntegerField()
    visits = serializers.IntegerField()
    pages = serializers.IntegerField()
    seconds = serializers.IntegerField()


class LeadEngagementView(APIView):
    """GET /api/v1/leads/{id}/engagement/: what the prospect did since our last contact."""

    @extend_schema(responses=EngagementSerializer)
    def get(self, request, pk):
        lead = visible_leads(request.user).get(pk=pk)
        return Response(EngagementSerializer(selectors.engagement(lead).as_dict()).data)


class SentEmailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.CharField()
    sent_at = serializers.DateTimeField(allow_null=True)
    links = serializers.ListField(child=serializers.CharField())
    open_url = serializers.CharField(allow_blank=True, help_text="Its open image; empty for an untracked e-mail.")
    unsubscribe_url = serializers.CharField(allow_null=True)
    human_opens = serializers.IntegerField()
    machine_opens = serializers.IntegerField()
    clicks = serializers.IntegerField()


class EmailListView(APIView):
    """GET /api/v1/emails/?lead=ID: the e-mails sent to the lead's contact (Marketing and
    Managers; a salesperson for a lead they may see)."""

    @extend_schema(parameters=[OpenApiParameter("lead", int, required=True)], responses=SentEmailSerializer(many=True))
    def get(self, request):
        if not has_role(request.user, Role.MARKETING, Role.MANAGER, Role.SALES):
            raise PermissionDenied("Only Marketing, Managers and a lead's salesperson may read its e-mails.")
        lead_id = parse_id(request.query_params.get("lead"))
        if lead_id is None:
            raise ValidationError({"lead": ["Give the lead's id."]})
        lead = visible_leads(request.user).get(pk=lead_id)
        emails = [vars(email) for email in selectors.emails_of(lead)]
        return Response(SentEmailSerializer(emails, many=True).data)
