"""Campaigns and offers API (CONTRACT "Campaigns and offers"): CRUD for marketing, launch, and
lookup by code for every staff role. Redeeming an offer for a lead is the leads app's
(leads.api.RedeemOfferView, at /api/v1/offers/{id}/redeem/)."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from campaigns import selectors, services
from campaigns.models import Campaign, Offer, Placement
from config.api import ID_PATTERN
from config.errors import Conflict
from crm.roles import Role, has_role


class MarketingWritesStaffReads(BasePermission):
    """Anyone with a role reads; marketing and managers change."""

    message = "Only Marketing and Manager may change campaigns and offers."

    def has_permission(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS") or getattr(view, "action", None) == "lookup":
            return has_role(request.user, Role.CSR, Role.SALES, Role.MARKETING, Role.MANAGER)
        return has_role(request.user, Role.MARKETING, Role.MANAGER)


class CampaignSerializer(serializers.ModelSerializer):
    class Meta:
        model = Campaign
        fields = ["id", "name", "description", "segment", "archived", "created_at"]
        read_only_fields = ["id", "created_at"]


class CampaignFilter(django_filters.FilterSet):
    archived = django_filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        help_text="true: only the archived campaigns; false: only the open ones (default: all).",
    )

    class Meta:
        model = Campaign
        fields = []


class PlacementSerializer(serializers.ModelSerializer):
    cost = serializers.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        model = Placement
        fields = ["channel", "outlet", "starts_on", "ends_on", "cost"]

    def validate(self, attrs):
        """The placement's own rules (Placement.clean: an end before the start, a negative cost),
        each on its field of its row: {"placements": {"1": {"cost": ["…"]}}} (DRF keys a list's
        errors by the index of each row in error)."""
        try:
            Placement(**attrs).clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs


class OfferSerializer(serializers.ModelSerializer):
    placements = PlacementSerializer(many=True, required=False)
    status = serializers.CharField(read_only=True)
    remaining = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Offer
        fields = [
            "id",
            "campaign",
            "code",
            "headline",
            "details",
            "starts_at",
            "deadline",
            "quantity_limit",
            "redeemed",
            "remaining",
            "upsell_product",
            "upsell_pitch",
            "landing_url",
            "placements",
            "status",
            "launched_at",
        ]
        read_only_fields = ["id", "redeemed", "remaining", "status", "launched_at"]
        extra_kwargs = {"code": {"validators": []}}  # uniqueness is checked case-insensitively by the service


class OfferLookupSerializer(OfferSerializer):
    replaced_by = OfferSerializer(read_only=True, allow_null=True, help_text="A live offer to give instead.")

    class Meta(OfferSerializer.Meta):
        fields = [*OfferSerializer.Meta.fields, "replaced_by"]


_when = serializers.DateTimeField()


def offer_card(offer: Offer) -> dict:
    """The offer as the CSR's lookup shows it, built by hand: a code read off a letter while the
    caller waits is the one read that must be instant, and a ModelSerializer costs milliseconds."""
    placements = offer.placements.values_list("channel", "outlet", "starts_on", "ends_on", "cost")
    return {
        "id": offer.pk,
        "campaign": offer.campaign_id,
        "code": offer.code,
        "headline": offer.headline,
        "details": offer.details,
        "starts_at": _when.to_representation(offer.starts_at),
        "deadline": _when.to_representation(offer.deadline),
        "quantity_limit": offer.quantity_limit,
        "redeemed": offer.redeemed,
        "remaining": offer.remaining,
        "upsell_product": offer.upsell_product,
        "upsell_pitch": offer.upsell_pitch,
        "landing_url": offer.landing_url,
        "placements": [
            {"channel": c, "outlet": o, "starts_on": str(a), "ends_on": str(b), "cost": f"{cost:.2f}"}
            for c, o, a, b, cost in placements
        ],
        "status": offer.status,
        "launched_at": _when.to_representation(offer.launched_at) if offer.launched_at else None,
    }


class CampaignViewSet(viewsets.ModelViewSet):
    lookup_value_regex = ID_PATTERN
    serializer_class = CampaignSerializer
    permission_classes = [MarketingWritesStaffReads]
    filterset_class = CampaignFilter
    queryset = Campaign.objects.all()

    def perform_create(self, serializer):
        serializer.instance = services.save_campaign(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.save_campaign(campaign=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.delete_campaign(campaign=instance)


class OfferViewSet(viewsets.ModelViewSet):
    lookup_value_regex = ID_PATTERN
    serializer_class = OfferSerializer
    permission_classes = [MarketingWritesStaffReads]
    queryset = Offer.objects.select_related("campaign").prefetch_related("placements")

    def perform_create(self, serializer):
        serializer.instance = services.save_offer(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.save_offer(offer=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        if instance.launched_at is not None:
            raise Conflict("A launched offer stays on record; let it expire instead.")
        instance.delete()

    @extend_schema(request=None, responses=OfferSerializer)
    @action(detail=True, methods=["post"])
    def launch(self, request, pk=None):
        """Put the offer live: 400 with every reason when it cannot go."""
        offer = services.launch_offer(offer_id=self.get_object().pk, by=request.user)
        return Response(OfferSerializer(self.get_queryset().get(pk=offer.pk)).data)

    @extend_schema(parameters=[OpenApiParameter("code", str, required=True)], responses=OfferLookupSerializer)
    @action(detail=False, methods=["get"])
    def lookup(self, request):
        """The offer with this code (any case), with its status, what remains and, when it is
        expired or sold out, the live offer that replaces it."""
        code = request.query_params.get("code", "")
        if not code.strip():
            return Response({"code": ["Give the code."]}, status=status.HTTP_400_BAD_REQUEST)
        offer = selectors.offer_by_code(code)
        if offer is None:
            raise NotFound(f"No offer has the code {code.strip().upper()}.")
        body = offer_card(offer)
        replacement = selectors.replacement_for(offer) if offer.status in ("expired", "sold_out") else None
        body["replaced_by"] = offer_card(replacement) if replacement else None
        return Response(body)
