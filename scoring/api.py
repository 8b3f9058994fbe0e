"""The scoring API (CONTRACT "Scoring"): published rules, the draft, preview, publish, jobs, and
the history of versions (list, diff, restore)."""

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


class MoverSerializer(serializers.Serializer):
    lead = serializers.IntegerField()
    name = serializers.CharField()
    stage = serializers.CharField()
    stage_label = serializers.CharField(help_text="The stage as people say it.")
    owner = serializers.IntegerField(allow_null=True)
    before = serializers.DictField(help_text='{"score", "temperature"} under the published rules.')
    after = serializers.DictField(help_text='{"score", "temperature"} under the draft.')
    change = serializers.IntegerField()


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
    stages = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="`to_sales_ready`: inquiries and unclosed leads a publish would make sales-ready (they "
        "meet the rules of engagement under the draft); "
        "`back_to_inquiry`: unowned sales-ready leads a publish would return to inquiry; "
        "`owned_no_longer_ready`: owned ones that would stay with their owner, no longer qualifying.",
    )
    movers = MoverSerializer(many=True, help_text="The 20 leads whose score would move most.")
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


class PublishSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The draft's version as the caller saw it: refused if it changed."
    )


class PublishView(APIView):
    """POST → publish the draft; 202 with the background rescore job."""

    permission_classes = [IsMarketingOrManager]

    @extend_schema(request=PublishSerializer, responses={202: PublishedSerializer})
    def post(self, request):
        data = PublishSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.publish_draft(by=request.user, version=data.validated_data.get("version"))
        return Response({"version": job.params["version"], "job": job_body(job)}, status=status.HTTP_202_ACCEPTED)


# --- History ------------------------------------------------------------------------------------


def version_body(rule_set: RuleSet) -> dict:
    return {
        "version": rule_set.version,
        "status": rule_set.status,
        "note": rule_set.note,
        "created_at": rule_set.created_at,
        "published_at": rule_set.published_at,
        "published_by": rule_set.published_by.username if rule_set.published_by else None,
        "restored_from": rule_set.restored_from,
    }


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RuleSetStatus.choices)
    note = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)
    published_by = serializers.CharField(allow_null=True, help_text="Username of who published it.")
    restored_from = serializers.IntegerField(allow_null=True)


class VersionsView(APIView):
    """GET → every published or retired version, newest first, with its note and who/when."""

    permission_classes = [IsMarketingOrManager]

    @extend_schema(responses=VersionSerializer(many=True))
    def get(self, request):
        return Response([version_body(rule_set) for rule_set in selectors.rule_set_history()])


class VersionView(APIView):
    """GET → one version's whole rule set (published, retired or the draft)."""

    permission_classes = [IsMarketingOrManager]

    @extend_schema(responses=RuleSetSerializer)
    def get(self, request, version: str):
        return Response(rule_set_body(RuleSet.objects.get(version=int(version))))


class DiffSerializer(serializers.Serializer):
    sections = serializers.ListField(
        child=serializers.DictField(),
        help_text='[{"key", "title", "added", "removed", "changed"}], see docs/api.md "History".',
    )
    changes = serializers.IntegerField()


class VersionDiffView(APIView):
    """GET → what changed from version `a` to version `b`, in words."""

    permission_classes = [IsMarketingOrManager]

    @extend_schema(responses=DiffSerializer)
    def get(self, request, a: str, b: str):
        return Response(selectors.version_diff(int(a), int(b)))


class RestoreSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class RestoreView(APIView):
    """POST → publish an old version's rules again as a new version; 202 with its rescore job."""

    permission_classes = [IsMarketingOrManager]

    @extend_schema(request=RestoreSerializer, responses={202: PublishedSerializer})
    def post(self, request, version: str):
        version = int(version)
        data = RestoreSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.restore_version(version=version, by=request.user, note=data.validated_data["note"])
        return Response(
            {"version": job.params["version"], "restored_from": version, "job": job_body(job)},
            status=status.HTTP_202_ACCEPTED,
        )
