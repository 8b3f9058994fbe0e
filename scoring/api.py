"""The scoring API (CONTRACT "Scoring"): published rules, the draft, preview, publish, jobs."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.permissions import IsMarketingOrManager
from jobs.api import JobSerializer, job_body
from scoring import selectors, services
from scoring.models import RuleSet, RuleSetStatus


def rule_set_body(rule_set: RuleSet) -> dict:
    definition = rule_set.definition
    return {
        "version": rule_set.version,
        "status": rule_set.status,
        "note": rule_set.note,
        "published_at": rule_set.published_at,
        "rules": definition.get("rules", []),
        "questions": definition.get("questions", []),
        "profile": definition.get("profile", []),
        "decay": definition.get("decay"),
        "thresholds": definition.get("thresholds", {}),
    }


class ThresholdsSerializer(serializers.Serializer):
    hot = serializers.IntegerField()
    warm = serializers.IntegerField()
    sales_ready = serializers.IntegerField()


class RuleSetSerializer(serializers.Serializer):
    """A rule set as the API shows it; `rules`, `questions`, `profile` and `decay` are the
    definition's own lists and object (see docs/api.md "Scoring rules")."""

    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RuleSetStatus.choices)
    note = serializers.CharField(allow_blank=True)
    published_at = serializers.DateTimeField(allow_null=True)
    rules = serializers.ListField(child=serializers.DictField())
    questions = serializers.ListField(child=serializers.DictField())
    profile = serializers.ListField(child=serializers.DictField())
    decay = serializers.DictField(allow_null=True)
    thresholds = ThresholdsSerializer()


class PreviewSerializer(serializers.Serializer):
    published_version = serializers.IntegerField()
    draft_version = serializers.IntegerField()
    leads = serializers.IntegerField(help_text="Leads compared (a sample when `sampled`).")
    total_leads = serializers.IntegerField()
    sampled = serializers.BooleanField()
    changed = serializers.IntegerField()
    temperatures = serializers.DictField(child=serializers.DictField(child=serializers.IntegerField()))
    moves = serializers.ListField(child=serializers.DictField())
    sales_ready = serializers.DictField(child=serializers.IntegerField())
    histogram = serializers.DictField()


class PublishedSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    job = JobSerializer()


class PublishedRulesView(APIView):
    """GET → the published rule set: version, rules, questions, profile, decay, thresholds."""

    serializer_class = RuleSetSerializer

    @extend_schema(responses=RuleSetSerializer)
    def get(self, request):
        return Response(rule_set_body(RuleSet.objects.get(status=RuleSetStatus.PUBLISHED)))


class DraftSerializer(serializers.Serializer):
    rules = serializers.JSONField(required=False, default=list)
    questions = serializers.JSONField(required=False, default=list)
    profile = serializers.JSONField(required=False, default=list)
    decay = serializers.JSONField(required=False, default=None)
    thresholds = serializers.JSONField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class DraftView(APIView):
    """GET the draft (a copy of the published rules if none yet); PUT to replace it; DELETE to drop it."""

    permission_classes = [IsMarketingOrManager]
    serializer_class = RuleSetSerializer

    @extend_schema(responses=RuleSetSerializer)
    def get(self, request):
        return Response(rule_set_body(services.current_draft(by=request.user)))

    @extend_schema(request=DraftSerializer, responses=RuleSetSerializer)
    def put(self, request):
        data = DraftSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        note = fields.pop("note")
        draft = services.save_draft(definition=fields, note=note, by=request.user)
        return Response(rule_set_body(draft))

    @extend_schema(responses={204: None})
    def delete(self, request):
        services.discard_draft()
        return Response(status=status.HTTP_204_NO_CONTENT)


class PreviewView(APIView):
    """POST → how the draft would move the existing leads compared with the published rules."""

    permission_classes = [IsMarketingOrManager]

    @extend_schema(request=None, responses=PreviewSerializer)
    def post(self, request):
        services.current_draft(by=request.user)  # no draft yet: the preview compares the rules with themselves
        return Response(selectors.preview_draft())


class PublishView(APIView):
    """POST → publish the draft; 202 with the background rescore job."""

    permission_classes = [IsMarketingOrManager]

    @extend_schema(request=None, responses={202: PublishedSerializer})
    def post(self, request):
        job = services.publish_draft(by=request.user)
        return Response({"version": job.params["version"], "job": job_body(job)}, status=status.HTTP_202_ACCEPTED)
