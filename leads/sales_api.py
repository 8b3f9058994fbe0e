"""The sales side of the API: the queue, claim-next, rules of engagement, notifications,
hot leads waiting, and sales' feedback for marketing (CONTRACT "Queue")."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.ids import parse_int
from crm.permissions import IsManager, IsMarketingOrManager, IsSalesOrManager
from leads import sales
from leads.api import LeadSerializer
from leads.models import Notification, RulesOfEngagement
from leads.selectors import QUEUE_PAGE, feedback_by_source, queue_for

_datetime = serializers.DateTimeField()  # the API's one date format, without a serializer per row


def queue_rows(leads, which: str) -> list[dict]:
    """What a salesperson needs to pick and prepare a call, built by hand: the queue is the
    salesperson's busiest page, and a DRF serializer costs about 0.25 ms a row."""

    def when(value):
        return _datetime.to_representation(value) if value else None

    return [
        {
            "id": lead.pk,
            "queue": which,
            "contact": lead.contact_id,
            "contact_name": lead.contact.full_name,
            "email": lead.contact.email,
            "phone": lead.contact.phone,
            "company": lead.contact.company.name if lead.contact.company else "",
            "stage": lead.stage,
            "score": lead.score,
            "temperature": lead.temperature,
            "owner": lead.owner_id,
            "inquiry_reason": lead.inquiry_reason,
            "desired_outcome": lead.desired_outcome,
            "source": lead.source,
            "offer": lead.offer_id,
            "sales_ready_at": when(lead.sales_ready_at),
            "handed_over_at": when(lead.handed_over_at),
            "owner_accepted_at": when(lead.owner_accepted_at),
            "last_activity_at": when(lead.last_activity_at),
        }
        for lead in leads
    ]


class QueueRowSerializer(serializers.Serializer):
    """The schema of a queue row (the rows themselves are built by queue_rows)."""

    id = serializers.IntegerField()
    queue = serializers.ChoiceField(choices=["own", "pool"])
    contact = serializers.IntegerField()
    contact_name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    company = serializers.CharField()
    stage = serializers.CharField()
    score = serializers.IntegerField()
    temperature = serializers.CharField()
    owner = serializers.IntegerField(allow_null=True)
    inquiry_reason = serializers.CharField()
    desired_outcome = serializers.CharField()
    source = serializers.CharField()
    offer = serializers.IntegerField(allow_null=True)
    sales_ready_at = serializers.DateTimeField(allow_null=True)
    handed_over_at = serializers.DateTimeField(allow_null=True)
    owner_accepted_at = serializers.DateTimeField(allow_null=True)
    last_activity_at = serializers.DateTimeField(allow_null=True)


class QueueSerializer(serializers.Serializer):
    results = QueueRowSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The pool's next page.")


class QueueView(APIView):
    """GET → the caller's own open leads, then the sales-ready pool by priority; `next` pages the pool."""

    permission_classes = [IsSalesOrManager]
    serializer_class = QueueSerializer

    @extend_schema(
        parameters=[OpenApiParameter("after", str), OpenApiParameter("limit", int)], responses=QueueSerializer
    )
    def get(self, request):
        after = request.query_params.get("after", "")
        limit = request.query_params.get("limit", str(QUEUE_PAGE))
        if parse_int(limit) not in range(1, 101):
            return Response({"limit": ["Give a page size from 1 to 100."]}, status=400)
        queue = queue_for(request.user, after=after, limit=parse_int(limit))
        results = queue_rows(queue["own"], "own") + queue_rows(queue["pool"], "pool")
        next_url = None
        if queue["next"]:
            next_url = request.build_absolute_uri(request.path) + f"?after={queue['next']}&limit={limit}"
        return Response({"results": results, "next": next_url})


class ClaimNextView(APIView):
    """POST → 200 with the top lead of the pool, now the caller's; 204 when the pool is empty."""

    permission_classes = [IsSalesOrManager]

    @extend_schema(request=None, responses={200: LeadSerializer, 204: None})
    def post(self, request):
        lead = sales.claim_next(by=request.user)
        if lead is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(LeadSerializer(lead).data)


class RulesOfEngagementSerializer(serializers.ModelSerializer):
    required_facts = serializers.ListField(child=serializers.CharField(max_length=40), max_length=10)
    hot_response_minutes = serializers.IntegerField(min_value=1, max_value=100_000)
    reassign_after_minutes = serializers.IntegerField(min_value=1, max_value=100_000, allow_null=True)
    sales_ready_score = serializers.SerializerMethodField()

    class Meta:
        model = RulesOfEngagement
        fields = ["required_facts", "hot_response_minutes", "reassign_after_minutes", "sales_ready_score", "updated_at"]
        read_only_fields = ["sales_ready_score", "updated_at"]

    def get_sales_ready_score(self, rules) -> int:
        from scoring.services import published_rule_book

        return published_rule_book().thresholds.sales_ready


class RulesOfEngagementView(APIView):
    """GET the rules of engagement (any role); PUT to change them (managers). The score
    threshold is the published scoring rules' `sales_ready`."""

    def get_permissions(self):
        return [IsManager()] if self.request.method == "PUT" else super().get_permissions()

    @extend_schema(responses=RulesOfEngagementSerializer)
    def get(self, request):
        return Response(RulesOfEngagementSerializer(sales.rules_of_engagement()).data)

    @extend_schema(request=RulesOfEngagementSerializer, responses=RulesOfEngagementSerializer)
    def put(self, request):
        data = RulesOfEngagementSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        rules = sales.update_rules_of_engagement(
            required_facts=values["required_facts"],
            hot_response_minutes=values["hot_response_minutes"],
            reassign_after_minutes=values["reassign_after_minutes"],
        )
        return Response(RulesOfEngagementSerializer(rules).data)


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    lead = serializers.IntegerField(allow_null=True)
    message = serializers.CharField()
    created_at = serializers.DateTimeField()
    read = serializers.BooleanField()


class NotificationListSerializer(serializers.Serializer):
    unread = serializers.IntegerField()
    results = NotificationSerializer(many=True)


class MarkReadSerializer(serializers.Serializer):
    read = serializers.ListField(child=serializers.IntegerField(), help_text="Notification ids.")


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class NotificationsView(APIView):
    """GET → the caller's latest notifications; POST {"read": [ids]} marks them read."""

    serializer_class = NotificationListSerializer

    @extend_schema(responses=NotificationListSerializer)
    def get(self, request):
        rows = Notification.objects.filter(user=request.user)[:50]
        return Response(
            {
                "unread": Notification.objects.filter(user=request.user, read_at__isnull=True).count(),
                "results": [
                    {
                        "id": n.pk,
                        "lead": n.lead_id,
                        "message": n.message,
                        "created_at": n.created_at,
                        "read": n.read_at is not None,
                    }
                    for n in rows
                ],
            }
        )

    @extend_schema(request=MarkReadSerializer, responses=MarkedSerializer)
    def post(self, request):
        ids = request.data.get("read") if hasattr(request.data, "get") else None
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            return Response({"read": ["Give a list of notification ids."]}, status=400)
        marked = Notification.objects.filter(user=request.user, pk__in=ids, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        return Response({"marked": marked})


class WaitingLeadSerializer(LeadSerializer):
    waiting_minutes = serializers.IntegerField(read_only=True)

    class Meta(LeadSerializer.Meta):
        fields = [*LeadSerializer.Meta.fields, "waiting_minutes"]
        read_only_fields = fields


class WaitingListSerializer(serializers.Serializer):
    results = WaitingLeadSerializer(many=True)


class WaitingHotLeadsView(APIView):
    """GET → every hot lead nobody has called within the response time (managers)."""

    permission_classes = [IsManager]
    serializer_class = WaitingListSerializer

    @extend_schema(responses=WaitingListSerializer)
    def get(self, request):
        now = timezone.now()
        return Response(
            {
                "results": [
                    {**LeadSerializer(lead).data, "waiting_minutes": int((now - lead.hot_since).total_seconds() // 60)}
                    for lead in sales.waiting_hot_leads(now).select_related("contact__company")[:500]
                ]
            }
        )


class FeedbackRowSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(allow_null=True)
    campaign_name = serializers.CharField()
    source = serializers.CharField()
    ratings = serializers.IntegerField()
    average_rating = serializers.FloatField()


class FeedbackListSerializer(serializers.Serializer):
    results = FeedbackRowSerializer(many=True)


class FeedbackSummaryView(APIView):
    """GET → sales' ratings of lead quality per campaign and source (marketing, managers)."""

    permission_classes = [IsMarketingOrManager]
    serializer_class = FeedbackListSerializer

    @extend_schema(responses=FeedbackListSerializer)
    def get(self, request):
        return Response({"results": feedback_by_source()})
