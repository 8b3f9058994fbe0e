"""The sales side of the API: the queue, claim-next, a lead's hand-over, acceptance, claim,
close and rating, hot leads waiting, and sales' feedback for marketing (CONTRACT "Leads",
"Queue"). Thin: every action is a call into sales.services."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import IdField
from config.ids import parse_int
from crm.permissions import IsManager, IsMarketingOrManager, IsSalesOrManager
from leads.api import LeadSerializer
from leads.models import LeadFeedback
from leads.selectors import visible_leads
from sales import services
from sales.selectors import QUEUE_PAGE, feedback_by_source, queue_for

_datetime = serializers.DateTimeField()  # the API's one date format, without a serializer per row


def queue_rows(leads, which: str, engagement: dict | None = None) -> list[dict]:
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
            "recent_engagement": _recent(engagement or {}, lead.pk),
        }
        for lead in leads
    ]


def _recent(engagement: dict, lead_id: int) -> dict:
    found = engagement.get(lead_id)
    names = ("opens", "clicks", "scans", "forwards", "visits", "pages", "seconds")
    return {name: getattr(found, name) if found else 0 for name in names}


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
    recent_engagement = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="What the prospect did in the last 7 days: opens, clicks, scans, forwards, visits, pages, seconds.",
    )


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
        engagement = queue["engagement"]
        results = queue_rows(queue["own"], "own", engagement) + queue_rows(queue["pool"], "pool", engagement)
        next_url = None
        if queue["next"]:
            next_url = request.build_absolute_uri(request.path) + f"?after={queue['next']}&limit={limit}"
        return Response({"results": results, "next": next_url})


class ClaimNextView(APIView):
    """POST → 200 with the top lead of the pool, now the caller's; 204 when the pool is empty."""

    permission_classes = [IsSalesOrManager]

    @extend_schema(request=None, responses={200: LeadSerializer, 204: None})
    def post(self, request):
        lead = services.claim_next(by=request.user)
        if lead is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(LeadSerializer(lead).data)


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
                    for lead in services.waiting_hot_leads(now).select_related("contact__company")[:500]
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


# --- One lead's sales actions (/api/v1/leads/{id}/…) ------------------------------------------


class HandoverSerializer(serializers.Serializer):
    owner = IdField(help_text="The salesperson's user id.")


class CloseSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["won", "unclosed", "dead"])
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)
    upsell_accepted = serializers.BooleanField(required=False, default=False)
    upsell_amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="Won only: the part of the amount the upsell brought (at most it); above 0, the upsell was taken.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class FeedbackSerializer(serializers.ModelSerializer):
    class Meta:
        model = LeadFeedback
        fields = ["id", "lead", "rating", "reason", "created_at"]
        read_only_fields = ["id", "lead", "created_at"]
        extra_kwargs = {"rating": {"min_value": 1, "max_value": 5}}


class LeadActionView(APIView):
    """A sales action on one lead the caller may see (404 for any other id)."""

    def visible(self):
        return visible_leads(self.request.user)

    def lead_body(self, lead) -> dict:
        return LeadSerializer(self.visible().get(pk=lead.pk)).data


class HandoverView(LeadActionView):
    """Hand a sales-ready lead to a salesperson: 409 with `missing` when it is not ready."""

    permission_classes = [IsMarketingOrManager]

    @extend_schema(request=HandoverSerializer, responses=LeadSerializer)
    def post(self, request, pk: int):
        data = HandoverSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        owner = data.validated_data["owner"]
        lead = services.handover_lead(lead_id=pk, owner_id=owner, by=request.user, within=self.visible())
        return Response(self.lead_body(lead))


class AcceptView(LeadActionView):
    """The owner accepts a lead handed to them."""

    @extend_schema(request=None, responses=LeadSerializer)
    def post(self, request, pk: int):
        get_object_or_404(self.visible(), pk=pk)
        return Response(self.lead_body(services.accept_lead(lead_id=pk, by=request.user)))


class ClaimView(LeadActionView):
    """Claim this lead from the pool: 409 with `missing` when it is not sales-ready."""

    permission_classes = [IsSalesOrManager]

    @extend_schema(request=None, responses=LeadSerializer)
    def post(self, request, pk: int):
        return Response(self.lead_body(services.claim_lead(lead_id=pk, by=request.user, within=self.visible())))


class CloseView(LeadActionView):
    """Close won (amount, upsell_accepted, upsell_amount), unclosed (reason) or dead (reason)."""

    permission_classes = [IsSalesOrManager]

    @extend_schema(request=CloseSerializer, responses=LeadSerializer)
    def post(self, request, pk: int):
        data = CloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = services.close_lead(lead_id=pk, by=request.user, within=self.visible(), **data.validated_data)
        return Response(self.lead_body(lead))


class FeedbackView(LeadActionView):
    """Rate the lead's quality (1–5) with a reason, for marketing."""

    permission_classes = [IsSalesOrManager]

    @extend_schema(request=FeedbackSerializer, responses={201: FeedbackSerializer})
    def post(self, request, pk: int):
        data = FeedbackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.record_feedback(lead_id=pk, by=request.user, within=self.visible(), **data.validated_data)
        return Response(FeedbackSerializer(row).data, status=status.HTTP_201_CREATED)
