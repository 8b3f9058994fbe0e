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


class CallerSearchView(APIView):
    """GET ?q= → up to ten contacts matching a phone (any format), e-mail start or name, each
    with their latest lead: the call console's search, for phone systems and other clients."""

    def get(self, request):
        from crm.selectors import find_callers

        text = request.query_params.get("q", "")
        if len(text) > 200:
            return Response({"q": ["Keep the search under 200 characters."]}, status=400)
        results = []
        for contact in find_callers(text):
            lead = next(iter(contact.leads.all()), None)
            results.append(
                {
                    "contact": contact.pk,
                    "name": contact.full_name,
                    "email": contact.email,
                    "phone": contact.phone,
                    "company": contact.company.name if contact.company else "",
                    "lead": lead.pk if lead else None,
                    "stage": lead.stage if lead else None,
                    "score": lead.score if lead else None,
                    "temperature": lead.temperature if lead else None,
                }
            )
        return Response({"results": results})
