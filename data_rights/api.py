"""The data-rights endpoints (CONTRACT "Imports and data rights"), for managers only:
GET /api/v1/contacts/{id}/export/ and POST /api/v1/contacts/{id}/erase/."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.models import Contact
from crm.permissions import IsManager
from data_rights.selectors import export_contact
from data_rights.services import erase_contact


class ContactExportView(APIView):
    """Everything held about a contact, as one JSON document: a section per kind of record
    (contact, company, leads, interactions, stage and score changes, offers redeemed,
    follow-ups, letters, notifications, e-mails, capture replays, admin history). An erased
    contact's export is only {"erased": true, "erased_at"}."""

    permission_classes = [IsManager]

    @extend_schema(
        responses=OpenApiResponse(OpenApiTypes.OBJECT, description="The export document (docs/api.md)."),
        operation_id="contacts_export",
    )
    def get(self, request, pk):
        return Response(export_contact(get_object_or_404(Contact, pk=int(pk))))


class ContactEraseView(APIView):
    """Erase the contact's personal data everywhere, keeping the figures, and suppress their
    e-mail and phone from later imports. 409 when the contact was already erased."""

    permission_classes = [IsManager]

    @extend_schema(
        request=None,
        responses=inline_serializer("ErasedSerializer", {"erased": serializers.BooleanField()}),
        operation_id="contacts_erase",
    )
    def post(self, request, pk):
        erase_contact(contact_id=int(pk), by=request.user)  # Contact.DoesNotExist → 404 (config.api)
        return Response({"erased": True})
