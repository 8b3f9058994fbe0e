"""Authentication endpoints: tokens for integrators, `me` for anyone signed in."""

from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from crm.roles import roles_of


class LoginRateThrottle(AnonRateThrottle):
    scope = "login"
    rate = "20/min"


class TokenView(ObtainAuthToken):
    """POST {"username", "password"} → {"token"}."""

    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())


class MeView(APIView):
    permission_classes = [IsAuthenticated]
    serializer_class = MeSerializer

    def get(self, request):
        user = request.user
        return Response({"id": user.pk, "username": user.get_username(), "roles": roles_of(user)})
