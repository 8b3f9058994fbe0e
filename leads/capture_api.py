"""POST /api/v1/capture/: the public endpoint a website's form posts to (CONTRACT "Capture").

Keyed per form (X-Form-Key), throttled per key and per client address, with a body-size limit,
a honeypot field, CORS for the key's allowed origins and Idempotency-Key replays.
"""

import hashlib
import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError
from django.http.request import RawPostDataException
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import APIException, AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import Conflict, database_unreachable
from config.parsers import FormParser, SafeJSONParser
from config.text import validate_one_line
from config.throttling import FixedWindowThrottle, refusals
from crm.normalize import normalize_phone
from leads.capture import FormKeyChanged, active_form_key, capture_submission
from leads.models import FormKey


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The form submission is too large."
    default_code = "payload_too_large"


class FormKeyAuthentication(BaseAuthentication):
    """request.auth is the FormKey of the X-Form-Key header; there is no user."""

    def authenticate(self, request):
        raw = request.META.get("HTTP_X_FORM_KEY", "").strip()
        if not raw:
            raise AuthenticationFailed("Send the form's key in the X-Form-Key header.")
        form_key = active_form_key(raw)
        if form_key is None:
            raise AuthenticationFailed("Unknown or revoked form key.")
        return (None, form_key)

    def authenticate_header(self, request):
        return "FormKey"


class HasFormKey(BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, FormKey)


class CaptureKeyThrottle(FixedWindowThrottle):
    """Submissions per form key (a busy site's whole form)."""

    scope = "capture_key"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class CaptureAddressThrottle(FixedWindowThrottle):
    """Submissions per client address (one bot hammering the form)."""

    scope = "capture_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class OneLineField(serializers.CharField):
    """An optional text field that refuses a line break or control character (config.text): a
    name with "\r\nBcc:" in it would otherwise break every e-mail subject it is put in. The
    message is free text: the parser already dropped its other control characters."""

    def __init__(self, **kwargs):
        super().__init__(required=False, allow_blank=True, validators=[validate_one_line], **kwargs)


class CaptureSerializer(serializers.Serializer):
    """The fields a form may send. Anything else (score, owner, stage…) is ignored."""

    first_name = OneLineField(max_length=100)
    last_name = OneLineField(max_length=100)
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    phone = OneLineField(max_length=40)
    company = OneLineField(max_length=200)
    title = OneLineField(max_length=150)
    message = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    offer_code = OneLineField(max_length=40)
    utm_source = OneLineField(max_length=100)
    utm_medium = OneLineField(max_length=100)
    utm_campaign = OneLineField(max_length=100)
    consent = serializers.BooleanField(required=False, default=False)
    website = serializers.CharField(required=False, allow_blank=True, max_length=200)
    visitor = serializers.RegexField(
        r"^[A-Za-z0-9_-]{8,64}$",
        required=False,
        allow_blank=True,
        help_text="The website script's visitor id (window.crmVisitor): their earlier visits join the lead.",
    )

    @property
    def fields(self):
        """The declared fields, copied and bound once per process instead of once per request
        (DRF deep-copies them for every serializer: most of the time a capture's validation
        took). Safe here because validating keeps nothing on a field: these are plain fields
        with no context, defaults or nested serializers (the first instance, which they stay
        bound to, is never read)."""
        shared = type(self).__dict__.get("_shared_fields")
        if shared is None:
            shared = super().fields
            type(self)._shared_fields = shared
        return shared

    def validate_website(self, value):
        if value:
            raise serializers.ValidationError("This field must be left empty.")
        return value

    def validate_phone(self, value):
        try:
            return normalize_phone(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    def validate(self, attrs):
        if not attrs.get("email") and not attrs.get("phone"):
            raise serializers.ValidationError({"email": ["Give an email address or a phone number."]})
        return attrs


class CaptureResultSerializer(serializers.Serializer):
    lead = serializers.IntegerField()
    contact = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "merged"])


def body_fingerprint(data) -> str:
    """The same fields with the same values hash alike, in JSON or form encoding, in any order."""
    if hasattr(data, "lists"):
        data = {key: values[-1] if len(values) == 1 else values for key, values in data.lists()}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def cors_origin_allowed(origin: str, form_key: FormKey | None) -> bool:
    if form_key is not None:
        return origin in form_key.allowed_origins
    # A preflight carries no key: allow an origin that some active key allows.
    return any(origin in key.allowed_origins for key in FormKey.objects.filter(revoked_at__isnull=True))


class CaptureView(APIView):
    serializer_class = CaptureSerializer
    authentication_classes = [FormKeyAuthentication]
    permission_classes = [HasFormKey]
    throttle_classes = [CaptureAddressThrottle, CaptureKeyThrottle]
    parser_classes = [SafeJSONParser, FormParser]

    def initial(self, request, *args, **kwargs):
        if request.method == "POST":
            self.check_body_size(request)
        super().initial(request, *args, **kwargs)

    def check_body_size(self, request):
        limit = settings.CRM_CAPTURE_MAX_BODY_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            raise PayloadTooLarge(f"The form submission is larger than {limit} bytes.")
        try:
            size = len(request._request.body)
        except RequestDataTooBig as exc:
            raise PayloadTooLarge(f"The form submission is larger than {limit} bytes.") from exc
        except RawPostDataException:
            size = 0
        if size > limit:
            raise PayloadTooLarge(f"The form submission is larger than {limit} bytes.")

    def options(self, request, *args, **kwargs):
        """CORS preflight: which origins may post, and with which headers. While the database
        is out of reach the keys cannot be read: the preflight lets any origin through, cached
        for no time, so the POST reaches its 503 and the form can say "try again"."""
        response = Response(status=status.HTTP_204_NO_CONTENT)
        origin = request.META.get("HTTP_ORIGIN", "")
        try:
            allowed, max_age = bool(origin) and cors_origin_allowed(origin, None), "3600"
        except DatabaseError as exc:
            if not database_unreachable(exc):
                raise
            allowed, max_age = True, "0"
        if allowed:
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
            response["Access-Control-Allow-Headers"] = "Content-Type, X-Form-Key, Idempotency-Key"
            response["Access-Control-Max-Age"] = max_age
        patch_vary_headers(response, ["Origin"])
        return response

    def get_authenticators(self):
        if self.request is not None and self.request.method == "OPTIONS":
            return []
        return super().get_authenticators()

    def get_permissions(self):
        if self.request is not None and self.request.method == "OPTIONS":
            return []
        return super().get_permissions()

    def get_throttles(self):
        if self.request is not None and self.request.method == "OPTIONS":
            return []
        return super().get_throttles()

    def finalize_response(self, request, response, *args, **kwargs):
        """Let an allowed origin's page read every answer, errors (401, 413, 429) included, and
        any page the 503 of a database out of reach (the keys cannot be read then; the answer
        tells nothing but "try again"), so the form can ask the visitor to retry."""
        response = super().finalize_response(request, response, *args, **kwargs)
        origin = request.META.get("HTTP_ORIGIN", "")
        if origin and request.method == "POST":
            form_key = getattr(request, "_auth", None)
            unreachable = response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE
            if unreachable or cors_origin_allowed(origin, form_key if isinstance(form_key, FormKey) else None):
                response["Access-Control-Allow-Origin"] = origin
                response["Access-Control-Expose-Headers"] = "Retry-After, Idempotent-Replayed"
            patch_vary_headers(response, ["Origin"])
        return response

    def check_throttles(self, request):
        """DRF's, with both counters (per key, per address) hit in one round trip."""
        waits = refusals(self.get_throttles(), request, self)
        if waits:
            self.throttled(request, max((wait for wait in waits if wait is not None), default=None))

    @extend_schema(
        request=CaptureSerializer,
        responses={201: CaptureResultSerializer, 200: CaptureResultSerializer},
        parameters=[
            OpenApiParameter("X-Form-Key", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER),
        ],
        auth=[],
    )
    def post(self, request):
        try:
            return self._submit(request, request.auth)
        except FormKeyChanged:
            # Revoked or edited since this process read it: as if the key had just been read.
            form_key = active_form_key(request.META.get("HTTP_X_FORM_KEY", "").strip(), fresh=True)
            if form_key is None:
                raise AuthenticationFailed("Unknown or revoked form key.") from None
            request._auth = form_key
            try:
                return self._submit(request, form_key)
            except FormKeyChanged:
                raise Conflict("The form key is being changed; try again.") from None

    def _submit(self, request, form_key: FormKey):
        origin = request.META.get("HTTP_ORIGIN", "")
        if origin and not cors_origin_allowed(origin, form_key):
            return Response({"detail": f"Origin {origin} may not use this form key."}, status=403)
        idempotency_key = request.META.get("HTTP_IDEMPOTENCY_KEY", "").strip()
        if len(idempotency_key) > 255:
            return Response({"Idempotency-Key": ["Keep the key under 256 characters."]}, status=400)
        if "\x00" in idempotency_key:
            return Response({"Idempotency-Key": ["The key may not contain NUL characters."]}, status=400)
        if not hasattr(request.data, "get"):
            return Response({"detail": "Send the form's fields as a JSON object or form fields."}, status=400)
        fields = CaptureSerializer(data=request.data)
        fields.is_valid(raise_exception=True)
        result = capture_submission(
            form_key=form_key,
            data=fields.validated_data,
            idempotency_key=idempotency_key,
            body_hash=body_fingerprint(request.data) if idempotency_key else "",
        )
        response = Response(result.body, status=result.status_code)
        if result.replayed:
            response["Idempotent-Replayed"] = "true"
        return response
