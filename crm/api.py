"""Authentication endpoints: tokens for integrators, `me` for anyone signed in."""

from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.parsers import FormParser, MultiPartParser, SafeJSONParser
from config.throttling import FixedWindowThrottle, client_address
from crm import login_guard
from crm.roles import roles_of
from crm.zones import zone_of


class LoginRateThrottle(FixedWindowThrottle):
    """Token requests per client address (CRM_TOKEN_RATE_PER_IP, default 20 a minute)."""

    scope = "login"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenView(ObtainAuthToken):
    """POST {"username", "password"} → {"token"}; failed attempts count towards the same
    lock-out as the log-in pages (crm.login_guard)."""

    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]
    parser_classes = [SafeJSONParser, FormParser, MultiPartParser]

    def post(self, request, *args, **kwargs):
        username = request.data.get("username", "") if hasattr(request.data, "get") else ""
        username = username if isinstance(username, str) else ""
        address = client_address(request)
        refused = login_guard.attempt(username=username, address=address)
        if refused is not None:
            raise Throttled(wait=refused[1], detail=refused[0])
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            raise ValidationError(serializer.errors)  # the attempt stays counted
        login_guard.succeeded(username=username, address=address)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    time_zone = serializers.CharField(help_text="The IANA zone the user reads times in, e.g. America/New_York.")


class MeView(APIView):
    permission_classes = [IsAuthenticated]
    serializer_class = MeSerializer

    def get(self, request):
        user = request.user
        return Response(
            {"id": user.pk, "username": user.get_username(), "roles": roles_of(user), "time_zone": zone_of(user)}
        )
