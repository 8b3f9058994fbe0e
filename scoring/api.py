"""The scoring API: the published rule set (CONTRACT "Scoring")."""

from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from scoring.models import RuleSet, RuleSetStatus


class PublishedRulesView(APIView):
    """GET → {"version", "rules", "questions", "profile", "decay", "thresholds"}."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        rule_set = RuleSet.objects.get(status=RuleSetStatus.PUBLISHED)
        definition = rule_set.definition
        return Response(
            {
                "version": rule_set.version,
                "published_at": rule_set.published_at,
                "rules": definition.get("rules", []),
                "questions": definition.get("questions", []),
                "profile": definition.get("profile", []),
                "decay": definition.get("decay"),
                "thresholds": definition.get("thresholds", {}),
            }
        )
