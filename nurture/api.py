"""Sequences and enrolments through the API (CONTRACT "Sequences (nurture)").

Marketing (and Managers) write sequences; every check is the service's (nurture.services,
nurture.steps), so the API, the builder page and the admin refuse the same things in the same
words. Enrolments are read by Marketing and Managers, and by a salesperson for the leads they may
see.
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from config.api import ID_PATTERN
from config.errors import Conflict
from config.ids import parse_id
from crm.permissions import IsMarketingOrManager, IsStaffRole
from crm.roles import Role, has_role
from leads.selectors import visible_leads
from nurture import report, services
from nurture.models import Enrolment, Sequence, SequenceStatus, StepRun
from nurture.steps import for_people


class SequenceSerializer(serializers.ModelSerializer):
    """Steps are read and written as people write them: branch targets as step numbers."""

    steps = serializers.JSONField()
    trigger = serializers.CharField(allow_null=True, allow_blank=True, required=False)
    trigger_days = serializers.JSONField(required=False)

    class Meta:
        model = Sequence
        fields = ["id", "name", "description", "trigger", "trigger_days", "steps", "status", "created_at", "updated_at"]
        read_only_fields = ["status", "created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["trigger"] = instance.trigger or None
        data["steps"] = for_people(instance.steps)
        return data


class EnrolSerializer(serializers.Serializer):
    leads = serializers.JSONField(help_text="The ids of the leads to enrol.")


class SequenceViewSet(viewsets.ModelViewSet):
    serializer_class = SequenceSerializer
    permission_classes = [IsMarketingOrManager]
    queryset = Sequence.objects.all()
    lookup_value_regex = ID_PATTERN

    def perform_create(self, serializer):
        serializer.instance = services.save_sequence(by=self.request.user, **self._fields(serializer))

    def perform_update(self, serializer):
        serializer.instance = services.save_sequence(sequence=serializer.instance, **self._fields(serializer))

    def _fields(self, serializer) -> dict:
        fields = dict(serializer.validated_data)
        if "trigger" in fields:
            fields["trigger"] = fields["trigger"] or ""
        return fields

    def perform_destroy(self, instance):
        if instance.enrolments.exists():
            raise Conflict("Leads have been through this sequence: pause it instead, to keep their history.")
        instance.delete()

    @extend_schema(request=None, responses=SequenceSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        sequence = services.set_status(self.get_object().pk, SequenceStatus.ACTIVE)
        return Response(SequenceSerializer(sequence).data)

    @extend_schema(request=None, responses=SequenceSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        sequence = services.set_status(self.get_object().pk, SequenceStatus.PAUSED)
        return Response(SequenceSerializer(sequence).data)

    @extend_schema(request=EnrolSerializer, responses=dict)
    @action(detail=True, methods=["post"])
    def enrol(self, request, pk=None):
        """Enrol leads by hand: {"leads": [id, …]} → {"enrolled": n, "skipped": [{"lead", "reason"}]}.
        With ?dry_run=1, who would enter, and nothing written."""
        sequence = self.get_object()
        dry_run = request.query_params.get("dry_run") in ("1", "true")
        result = services.enrol(
            sequence_id=sequence.pk,
            lead_ids=request.data.get("leads") if isinstance(request.data, dict) else None,
            by=request.user,
            within=visible_leads(request.user),
            dry_run=dry_run,
        )
        return Response({"enrolled": len(result.enrolled), "skipped": result.skipped})

    @extend_schema(request=None, responses=dict)
    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        """Who the trigger would enrol now: how many, and the first 20."""
        sequence = self.get_object()
        leads = services.trigger_candidates(sequence).select_related("contact").order_by("pk")
        return Response(
            {
                "total": leads.count(),
                "leads": [{"id": lead.pk, "contact": str(lead.contact), "stage": lead.stage} for lead in leads[:20]],
            }
        )

    @extend_schema(request=None, responses=dict)
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        return Response(report.report(self.get_object()))


class EnrolmentSerializer(serializers.ModelSerializer):
    steps = serializers.SerializerMethodField()

    class Meta:
        model = Enrolment
        fields = [
            "id",
            "lead",
            "sequence",
            "status",
            "exit_reason",
            "enrolled_at",
            "ended_at",
            "by_trigger",
            "next_step",
            "due_at",
            "steps",
        ]

    def get_steps(self, enrolment) -> list[dict]:
        numbers = {step["key"]: n for n, step in enumerate(enrolment.sequence.steps, start=1)}
        return [
            {
                "step": numbers.get(run.step),
                "key": run.step,
                "kind": run.kind,
                "done_at": run.done_at,
                "outcome": run.outcome,
            }
            for run in enrolment.runs.all()
        ]


class EnrolmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """GET /api/v1/enrolments/?lead=&sequence=; POST …/{id}/exit/ takes a lead out by hand."""

    serializer_class = EnrolmentSerializer
    permission_classes = [IsStaffRole]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        user = self.request.user
        if not has_role(user, Role.MARKETING, Role.MANAGER, Role.SALES):
            return Enrolment.objects.none()
        enrolments = Enrolment.objects.filter(lead__in=visible_leads(user)).select_related("sequence")
        for name in ("lead", "sequence"):
            value = self.request.query_params.get(name)
            if value not in (None, ""):
                pk = parse_id(value)
                if pk is None:
                    raise ValidationError({name: [f"Give the {name}'s id."]})
                enrolments = enrolments.filter(**{f"{name}_id": pk})
        runs = Prefetch("runs", StepRun.objects.order_by("done_at", "id"))
        return enrolments.prefetch_related(runs).order_by("-enrolled_at", "-id")

    @extend_schema(
        parameters=[OpenApiParameter("lead", int), OpenApiParameter("sequence", int)],
        responses=EnrolmentSerializer(many=True),
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=EnrolmentSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsMarketingOrManager])
    def exit(self, request, pk=None):
        enrolment = self.get_object()
        services.take_out(enrolment_id=enrolment.pk, by=request.user)
        enrolment.refresh_from_db()
        return Response(EnrolmentSerializer(enrolment).data)
