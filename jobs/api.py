"""GET /api/v1/jobs/{id}/: any background job's status and progress."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.models import Job


class JobSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "total",
            "done",
            "progress",
            "params",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_progress(self, job) -> float:
        return round(job.progress, 4)


def job_body(job: Job) -> dict:
    return JobSerializer(job).data


class JobView(APIView):
    """GET → a background job's status and progress (a rescore, a letter batch, an import)."""

    serializer_class = JobSerializer

    @extend_schema(responses=JobSerializer)
    def get(self, request, pk):
        return Response(job_body(get_object_or_404(Job, pk=pk)))
