"""The leads API: list, read and edit leads, log interactions, read scores (CONTRACT "Leads"), and
merge duplicate contacts (CONTRACT "Daily use")."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import ID_PATTERN, IdField
from crm.models import Contact
from crm.permissions import IsManager
from leads import engagement, services
from leads.filters import LeadFilter
from leads.kinds import InteractionKind
from leads.merging import merge_contacts
from leads.models import ContactMerge, Interaction, Lead, RulesOfEngagement, StageChange
from leads.redemptions import redeem_offer
from leads.scores import explain
from leads.selectors import find_callers, visible_leads
from scoring.models import ScoreChange
from scoring.services import published_rule_book

READ_ONLY_ON_PATCH = {
    "score": "The score is computed from the scoring rules.",
    "temperature": "The temperature follows from the score.",
    "stage": "The stage moves only through handover and close.",
    "owner": "The owner changes only through handover or claim.",
}


class LeadSerializer(serializers.ModelSerializer):
    contact_name = serializers.CharField(source="contact.full_name", read_only=True)
    email = serializers.CharField(source="contact.email", read_only=True)
    phone = serializers.CharField(source="contact.phone", read_only=True)
    company = serializers.CharField(source="contact.company.name", read_only=True, default="")

    class Meta:
        model = Lead
        fields = [
            "id",
            "contact",
            "contact_name",
            "email",
            "phone",
            "company",
            "stage",
            "score",
            "temperature",
            "rules_version",
            "owner",
            "inquiry_reason",
            "desired_outcome",
            "source",
            "campaign",
            "offer",
            "offer_code",
            "offer_code_problem",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "referrer",
            "estimated_value",
            "won_amount",
            "upsell_offered",
            "upsell_accepted",
            "upsell_amount",
            "lost_reason",
            "sales_ready_at",
            "handed_over_at",
            "owner_accepted_at",
            "hot_since",
            "last_contacted_at",
            "sales_cycle_days",
            "created_at",
            "last_activity_at",
            "closed_at",
        ]
        read_only_fields = fields


class LeadUpdateSerializer(serializers.Serializer):
    inquiry_reason = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    desired_outcome = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    estimated_value = serializers.DecimalField(
        required=False, allow_null=True, max_digits=12, decimal_places=2, min_value=0
    )
    upsell_offered = serializers.BooleanField(required=False)

    def validate(self, attrs):
        refused = {name: [why] for name, why in READ_ONLY_ON_PATCH.items() if name in self.initial_data}
        if refused:
            raise ValidationError(refused)
        return attrs


class InteractionSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True, default=None, allow_null=True)
    offer_code = serializers.CharField(source="offer.code", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Interaction
        fields = [
            "id",
            "lead",
            "kind",
            "occurred_at",
            "author",
            "note",
            "duration_seconds",
            "answers",
            "metadata",
            "offer_code",
            "created_at",
        ]
        read_only_fields = fields


class AnswerSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=50)
    answer = serializers.CharField(max_length=50)


class LogInteractionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=InteractionKind.choices)
    occurred_at = serializers.DateTimeField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    duration_seconds = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=86400)
    answers = AnswerSerializer(many=True, required=False)
    metadata = serializers.DictField(required=False)
    offer_code = serializers.CharField(required=False, allow_blank=True, max_length=40)
    letter_code = serializers.CharField(
        required=False, allow_blank=True, max_length=20, help_text="The response code off a letter."
    )

    def validate_metadata(self, value):
        if len(str(value)) > 4000:
            raise ValidationError("Keep metadata under 4,000 characters.")
        return value


class BreakdownLineSerializer(serializers.Serializer):
    rule = serializers.CharField()
    label = serializers.CharField()
    points = serializers.IntegerField()


class LeadScoreSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    score = serializers.IntegerField()
    temperature = serializers.CharField()
    stage = serializers.CharField()


class InteractionPageSerializer(serializers.Serializer):
    """One page of a lead's interactions, newest first."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = InteractionSerializer(many=True)


class LoggedInteractionSerializer(serializers.Serializer):
    interaction = InteractionSerializer()
    lead = LeadScoreSerializer()
    breakdown = BreakdownLineSerializer(many=True)


class ScoreSerializer(serializers.Serializer):
    score = serializers.IntegerField()
    temperature = serializers.CharField()
    breakdown = BreakdownLineSerializer(many=True)
    rules_version = serializers.IntegerField()
    computed_at = serializers.DateTimeField()


def logged_interaction_body(logged: services.LoggedInteraction) -> dict:
    lead = logged.lead
    return {
        "interaction": InteractionSerializer(logged.interaction).data,
        "lead": {"id": lead.pk, "score": lead.score, "temperature": lead.temperature, "stage": lead.stage},
        "breakdown": [line.as_dict() for line in logged.score.breakdown],
    }


class LeadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Leads the caller may see. Sales sees its own leads and the sales-ready pool."""

    lookup_value_regex = ID_PATTERN

    serializer_class = LeadSerializer
    filterset_class = LeadFilter
    ordering_fields = ["score", "created_at", "last_activity_at"]
    ordering = ["-created_at", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return visible_leads(self.request.user)

    def filter_queryset(self, queryset):
        """The list's filters and ordering apply to the list only, not to one lead's routes."""
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    @extend_schema(request=LeadUpdateSerializer, responses=LeadSerializer)
    def partial_update(self, request, *args, **kwargs):
        lead = self.get_object()
        data = LeadUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.update_lead(lead, by=request.user, **data.validated_data)
        return Response(LeadSerializer(lead).data)

    @extend_schema(methods=["GET"], request=None, responses=InteractionPageSerializer)
    @extend_schema(methods=["POST"], request=LogInteractionSerializer, responses={201: LoggedInteractionSerializer})
    @action(detail=True, methods=["get", "post"])
    def interactions(self, request, pk=None):
        """GET: the lead's interactions, newest first. POST: log one and get the new score."""
        if request.method == "GET":
            lead = self.get_object()
            page = self.paginate_queryset(lead.interactions.select_related("author", "offer"))
            return self.get_paginated_response(InteractionSerializer(page, many=True).data)
        data = LogInteractionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # One query finds, checks (within the caller's leads) and locks the lead.
        logged = services.log_interaction(
            lead_id=pk, within=self.get_queryset(), author=request.user, **data.validated_data
        )
        return Response(logged_interaction_body(logged), status=status.HTTP_201_CREATED)

    @extend_schema(responses=ScoreSerializer)
    @action(detail=True, methods=["get"])
    def score(self, request, pk=None):
        """The score with each rule's points, under the published rules, computed now."""
        lead = get_object_or_404(self.get_queryset().select_related("contact__company"), pk=pk)
        result = explain(lead)
        return Response(
            {
                "score": result.total,
                "temperature": result.temperature,
                "breakdown": [line.as_dict() for line in result.breakdown],
                "rules_version": result.rules_version,
                "computed_at": timezone.now(),
            }
        )


# --- Offers taken up, callers found, the rules of engagement ------------------------------------


class RedeemSerializer(serializers.Serializer):
    lead = serializers.IntegerField(help_text="The lead taking the offer up.")


class RedeemedSerializer(serializers.Serializer):
    redeemed = serializers.IntegerField()
    remaining = serializers.IntegerField(allow_null=True)


class RedeemOfferView(APIView):
    """POST /api/v1/offers/{id}/redeem/ {"lead": id} → {"redeemed", "remaining"}; 409 when the
    offer is not live, sold out or already redeemed by that lead. Any staff role, for a lead
    they may see."""

    @extend_schema(request=RedeemSerializer, responses=RedeemedSerializer)
    def post(self, request, pk: int):
        lead_id = request.data.get("lead") if hasattr(request.data, "get") else None
        if isinstance(lead_id, bool) or not isinstance(lead_id, int):
            return Response({"lead": ["Give the lead's id."]}, status=status.HTTP_400_BAD_REQUEST)
        offer = redeem_offer(offer_id=pk, lead_id=lead_id, by=request.user, within=visible_leads(request.user))
        return Response({"redeemed": offer.redeemed, "remaining": offer.remaining})


class CallerSerializer(serializers.Serializer):
    contact = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    company = serializers.CharField()
    lead = serializers.IntegerField(allow_null=True, help_text="Their latest lead the caller may see.")
    stage = serializers.CharField(allow_null=True)
    score = serializers.IntegerField(allow_null=True)
    temperature = serializers.CharField(allow_null=True)


class CallerResultsSerializer(serializers.Serializer):
    results = CallerSerializer(many=True)


class CallerSearchView(APIView):
    """GET ?q= → up to ten contacts matching a phone (any format), e-mail start or name, each
    with their latest lead: the call console's search, for phone systems and other clients.
    A salesperson finds only the people behind leads they may see."""

    serializer_class = CallerResultsSerializer

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="Phone, e-mail start, name or 'first last'.")],
        responses=CallerResultsSerializer,
    )
    def get(self, request):
        text = request.query_params.get("q", "")
        if len(text) > 200:
            return Response({"q": ["Keep the search under 200 characters."]}, status=400)
        results = []
        for contact in find_callers(text, user=request.user):
            lead = next(iter(contact.leads.all()), None)
            results.append(
                {
                    "contact": contact.pk,
                    "name": contact.full_name,
                    "email": contact.email,
                    "phone": contact.phone,
                    "company": contact.company.name if contact.company else "",
                    "lead": lead.pk if lead else None,
                    "stage": lead.stage if lead else None,
                    "score": lead.score if lead else None,
                    "temperature": lead.temperature if lead else None,
                }
            )
        return Response({"results": results})


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
        return published_rule_book().thresholds.sales_ready


class RulesOfEngagementView(APIView):
    """GET the rules of engagement (any role); PUT to change them (managers). The score
    threshold is the published scoring rules' `sales_ready`."""

    def get_permissions(self):
        return [IsManager()] if self.request.method == "PUT" else super().get_permissions()

    @extend_schema(responses=RulesOfEngagementSerializer)
    def get(self, request):
        return Response(RulesOfEngagementSerializer(engagement.rules_of_engagement()).data)

    @extend_schema(request=RulesOfEngagementSerializer, responses=RulesOfEngagementSerializer)
    def put(self, request):
        data = RulesOfEngagementSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        rules = engagement.update_rules_of_engagement(
            required_facts=values["required_facts"],
            hot_response_minutes=values["hot_response_minutes"],
            reassign_after_minutes=values["reassign_after_minutes"],
        )
        return Response(RulesOfEngagementSerializer(rules).data)


# --- Merging duplicate contacts (CONTRACT "Daily use") ----------------------------------------


class MergeRequestSerializer(serializers.Serializer):
    keep = IdField(help_text="The contact that stays: it gets the other's leads and its blank fields filled.")
    merge = IdField(help_text="The contact merged into it: its row goes once its leads have moved.")


class StageChangeSerializer(serializers.ModelSerializer):
    from_stage = serializers.CharField(read_only=True, help_text="Blank for the lead's first stage.")
    to_stage = serializers.CharField(read_only=True)
    changed_by = serializers.CharField(source="changed_by.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = StageChange
        fields = ["id", "from_stage", "to_stage", "changed_by", "changed_at", "reason"]
        read_only_fields = fields


class ScoreChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScoreChange
        fields = ["id", "old_score", "new_score", "old_temperature", "new_temperature", "reason", "rules_version"]
        fields += ["changed_at"]
        read_only_fields = fields


class LeadHistorySerializer(LeadSerializer):
    """A lead with its whole history: interactions, stage and score changes, newest first."""

    interactions = InteractionSerializer(many=True, read_only=True)
    stage_changes = StageChangeSerializer(many=True, read_only=True)
    score_changes = ScoreChangeSerializer(many=True, read_only=True)

    class Meta(LeadSerializer.Meta):
        fields = [*LeadSerializer.Meta.fields, "interactions", "stage_changes", "score_changes"]
        read_only_fields = fields


class ContactMergeSerializer(serializers.ModelSerializer):
    merged_by = serializers.CharField(source="merged_by.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = ContactMerge
        fields = ["id", "kept", "merged_contact_id", "merged_name", "merged_email", "merged_phone", "merged_by"]
        fields += ["merged_at", "leads_moved", "filled"]
        read_only_fields = fields


class MergedContactSerializer(serializers.ModelSerializer):
    """The kept contact after a merge, with every lead of both (each with its history) and the
    merges that made it, newest first."""

    company_name = serializers.CharField(source="company.name", read_only=True, default="")
    leads = serializers.SerializerMethodField()
    merges = ContactMergeSerializer(many=True, read_only=True)

    class Meta:
        model = Contact
        fields = ["id", "first_name", "last_name", "title", "persona", "email", "phone", "company", "company_name"]
        fields += ["mailing_address", "consent", "do_not_contact", "created_at", "updated_at", "leads", "merges"]
        read_only_fields = fields

    @extend_schema_field(LeadHistorySerializer(many=True))
    def get_leads(self, contact) -> list:
        leads = (
            Lead.objects.filter(contact=contact)
            .select_related("contact__company")
            .prefetch_related(
                Prefetch("interactions", Interaction.objects.select_related("author", "offer")),
                Prefetch(
                    "stage_changes", StageChange.objects.select_related("changed_by").order_by("-changed_at", "-id")
                ),
                "score_changes",
            )
            .order_by("pk")
        )
        return LeadHistorySerializer(leads, many=True).data


class ContactMergeView(APIView):
    """POST {"keep": id, "merge": id} (managers) → 200 the kept contact with every lead,
    interaction and history of both (leads.merging.merge_contacts). 400 for a contact merged into
    itself, 404 for an unknown id, 409 when either is erased or was merged away already."""

    permission_classes = [IsManager]

    @extend_schema(request=MergeRequestSerializer, responses=MergedContactSerializer, operation_id="contacts_merge")
    def post(self, request):
        data = MergeRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        merged = merge_contacts(
            keep_id=data.validated_data["keep"], merge_id=data.validated_data["merge"], by=request.user
        )
        contact = (
            Contact.objects.select_related("company").prefetch_related("merges__merged_by").get(pk=merged.contact.pk)
        )
        return Response(MergedContactSerializer(contact).data)
