"""GET /api/v1/notifications/ (the caller's latest) and POST {"read": [ids]} (mark them read)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.ids import parse_id
from notifications import selectors, services


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
        rows = selectors.latest_for(request.user, limit=50)
        results = [
            {"id": n.pk, "lead": n.lead_id, "message": n.message, "created_at": n.created_at, "read": bool(n.read_at)}
            for n in rows
        ]
        return Response({"unread": selectors.unread_count(request.user), "results": results})

    @extend_schema(request=MarkReadSerializer, responses=MarkedSerializer)
    def post(self, request):
        ids = request.data.get("read") if hasattr(request.data, "get") else None
        if not isinstance(ids, list) or not all(parse_id(i) is not None and isinstance(i, int) for i in ids):
            return Response({"read": ["Give a list of notification ids."]}, status=400)
        return Response({"marked": services.mark_read(user=request.user, ids=ids)})
