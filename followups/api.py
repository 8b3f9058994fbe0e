"""The follow-ups API (CONTRACT "Follow-ups and letters"): list, schedule a callback,
reschedule, skip, complete. Anyone sees the follow-ups of the leads they may see."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api import ID_PATTERN
from followups import services
from followups.models import FollowUp, FollowUpStatus
from followups.selectors import visible_followups
from leads.filters import PersonFilter
from leads.selectors import visible_leads


class FollowUpFilter(django_filters.FilterSet):
    assignee = PersonFilter(field_name="assignee")
    status = django_filters.MultipleChoiceFilter(choices=FollowUpStatus.choices)
    lead = django_filters.NumberFilter(field_name="lead_id")

    class Meta:
        model = FollowUp
        fields = []


class QuestionSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    kind = serializers.ChoiceField(choices=["yes_no", "text"])


class PoolField(serializers.ChoiceField):
    """The pool stored as "" for a follow-up a person is assigned to; the API says null, as it
    says `assignee: null` for one waiting in a pool, so the answer is one of the schema's values."""

    def to_representation(self, value):
        return value or None


class FollowUpSerializer(serializers.ModelSerializer):
    lead_name = serializers.CharField(source="lead.contact.full_name", read_only=True)
    pool = PoolField(
        choices=FollowUp._meta.get_field("pool").choices,
        allow_null=True,
        read_only=True,
        help_text="Who may take it when nobody is assigned; null when a person is.",
    )
    script = QuestionSerializer(many=True, read_only=True)
    answers = serializers.DictField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "lead",
            "lead_name",
            "kind",
            "due_at",
            "assignee",
            "pool",
            "status",
            "note",
            "script",
            "answers",
            "outcome",
            "created_at",
            "completed_at",
        ]
        read_only_fields = fields


class CallbackSerializer(serializers.Serializer):
    lead = serializers.IntegerField(min_value=1, max_value=2**62)
    due_at = serializers.DateTimeField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    assignee = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**62)


class RescheduleSerializer(serializers.Serializer):
    due_at = serializers.DateTimeField(required=False)
    assignee = serializers.IntegerField(required=False, min_value=1, max_value=2**62)


class SkipSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ReferralSerializer(serializers.Serializer):
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)


class CompleteSerializer(serializers.Serializer):
    answers = serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=2000), required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    referrals = ReferralSerializer(many=True, required=False)


class CompletedSerializer(serializers.Serializer):
    followup = FollowUpSerializer()
    referrals = serializers.ListField(child=serializers.IntegerField(), help_text="The referred people's leads.")
    escalated = serializers.IntegerField(allow_null=True, help_text="The manager's follow-up, when needs were not met.")
    already_known = serializers.IntegerField(
        help_text="Referred people we know already whose leads the caller may not see: nothing about them changed."
    )


class FollowUpViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Follow-ups of the leads the caller may see, soonest first."""

    serializer_class = FollowUpSerializer
    filterset_class = FollowUpFilter
    lookup_value_regex = ID_PATTERN
    ordering_fields = ["due_at", "created_at"]
    ordering = ["due_at", "id"]
    http_method_names = ["get", "post", "patch", "head"]

    def get_queryset(self):
        return visible_followups(self.request.user).select_related("lead__contact")

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def _visible_leads(self):
        return visible_leads(self.request.user)

    def _body(self, followup):
        return FollowUpSerializer(self.get_queryset().get(pk=followup.pk)).data

    @extend_schema(request=CallbackSerializer, responses={201: FollowUpSerializer})
    def create(self, request, *args, **kwargs):
        """A callback by hand: {"lead", "due_at", "note"?, "assignee"?} (the caller by default)."""
        data = CallbackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        followup = services.schedule_callback(
            lead_id=values["lead"],
            due_at=values["due_at"],
            note=values["note"],
            assignee_id=values.get("assignee"),
            by=request.user,
            within=self._visible_leads(),
        )
        return Response(self._body(followup), status=status.HTTP_201_CREATED)

    @extend_schema(request=RescheduleSerializer, responses=FollowUpSerializer)
    def partial_update(self, request, pk=None):
        """Reschedule: a new `due_at`, a new `assignee`, or both."""
        data = RescheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        followup = services.reschedule(
            followup_id=pk,
            by=request.user,
            due_at=values.get("due_at"),
            assignee_id=values.get("assignee"),
            within=self.get_queryset(),
        )
        return Response(self._body(followup))

    @extend_schema(request=SkipSerializer, responses=FollowUpSerializer)
    @action(detail=True, methods=["post"])
    def skip(self, request, pk=None):
        data = SkipSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        followup = services.skip(
            followup_id=pk, by=request.user, reason=data.validated_data["reason"], within=self.get_queryset()
        )
        return Response(self._body(followup))

    @extend_schema(request=CompleteSerializer, responses=CompletedSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Record the answers, a note and the referrals; 409 when it was done already."""
        data = CompleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        done = services.complete(
            followup_id=pk,
            by=request.user,
            answers=values.get("answers"),
            note=values["note"],
            referrals=[dict(item) for item in values.get("referrals", [])],
            within=self.get_queryset(),
        )
        return Response(
            {
                "followup": self._body(done.followup),
                "referrals": [lead.pk for lead in done.referrals],
                "escalated": done.escalated.pk if done.escalated else None,
                "already_known": done.already_known,
            }
        )
