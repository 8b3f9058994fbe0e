"""The imports API (CONTRACT "Imports and data rights"), for marketing and managers:

- `POST /api/v1/imports/` multipart → 202 and the import runs in the background; a file that
  cannot be read at all, a bad field or a mapping without e-mail or phone → 400 (nothing kept);
  a file past CRM_IMPORT_MAX_BYTES → 413.
- `GET /api/v1/imports/` and `GET /api/v1/imports/{id}/` → progress and what it did.
- `GET /api/v1/imports/{id}/rejected/` → the rejected rows as CSV (line, problems, the cells).
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from config.api import ID_PATTERN
from config.parsers import MultiPartParser, UnsafeDocument, load_json
from crm.permissions import IsMarketingOrManager
from imports import downloads, selectors, services
from imports.fields import BY_KEY
from imports.models import DuplicatePolicy, ImportMode
from imports.reading import DELIMITERS, ENCODINGS, FileTooLarge
from imports.uploads import too_large, too_large_message


class UploadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "file_too_large"

    def __init__(self):
        super().__init__(too_large_message())


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The CSV file: UTF-8 (with or without BOM), Windows-1252 or Latin-1.")
    list_name = serializers.CharField(max_length=200, help_text="The bought list's name, as the scoreboard shows it.")
    vendor = serializers.CharField(max_length=200, required=False, allow_blank=True)
    price = serializers.CharField(
        max_length=20, required=False, allow_blank=True, help_text="What the list cost (decimal)."
    )
    mode = serializers.ChoiceField(choices=ImportMode.choices)
    duplicates = serializers.ChoiceField(choices=DuplicatePolicy.choices)
    mapping = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20_000,
        help_text='JSON: {"CSV header": "field"}; guessed from the headers when absent. Fields: ' + ", ".join(BY_KEY),
    )
    encoding = serializers.ChoiceField(
        choices=list(ENCODINGS), required=False, help_text="Read it with this encoding instead of the detected one."
    )
    delimiter = serializers.ChoiceField(
        choices=list(DELIMITERS), required=False, help_text="Split it on this instead of the detected delimiter."
    )


class ImportErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The line of the file the row starts on (the header is line 1).")
    column = serializers.CharField(allow_null=True, help_text="The column's header; null for the whole row.")
    message = serializers.CharField()


class ImportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=["queued", "running", "done", "failed"],
        help_text="failed also when all or nothing found errors (nothing was written: see detail).",
    )
    detail = serializers.CharField()
    phase = serializers.CharField(help_text="check (all or nothing's first pass), write or done.")
    progress = serializers.FloatField()
    total = serializers.IntegerField(help_text="Rows in the file (an estimate until it has been read).")
    processed = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField(help_text="Duplicates whose empty fields were filled in.")
    duplicates = serializers.IntegerField(help_text="Rows skipped: the person is already known.")
    suppressed = serializers.IntegerField(help_text="Rows skipped: the person asked to be erased.")
    rejected = serializers.IntegerField()
    errors = ImportErrorSerializer(many=True, help_text="The first 100.")
    errors_csv = serializers.URLField(allow_null=True, help_text="The rejected rows as CSV, once it has finished.")
    errors_csv_expired = serializers.BooleanField()
    list_name = serializers.CharField()
    vendor = serializers.CharField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    bought_list = serializers.IntegerField(allow_null=True, help_text="The source its leads carry.")
    mode = serializers.ChoiceField(choices=ImportMode.choices)
    duplicate_policy = serializers.ChoiceField(choices=DuplicatePolicy.choices)
    file_name = serializers.CharField()
    encoding = serializers.CharField()
    delimiter = serializers.CharField()
    header = serializers.ListField(child=serializers.CharField(allow_blank=True))
    mapping = serializers.DictField(child=serializers.CharField())
    job = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


def _body(run, request) -> dict:
    return ImportSerializer(selectors.import_body(run, request)).data


class ImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ImportSerializer
    permission_classes = [IsMarketingOrManager]
    parser_classes = [MultiPartParser]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return selectors.started_imports()

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([_body(run, request) for run in page])

    def retrieve(self, request, *args, **kwargs):
        return Response(_body(self.get_object(), request))

    @extend_schema(request={"multipart/form-data": ImportRequestSerializer}, responses={202: ImportSerializer})
    def create(self, request):
        """Upload a CSV and import it in the background (202); follow it at GET /api/v1/imports/{id}/."""
        if too_large(request):
            raise UploadTooLarge
        data = ImportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        mapping = None
        if values.get("mapping"):
            try:
                mapping = load_json(values["mapping"])
            except (UnsafeDocument, ValueError) as exc:
                raise serializers.ValidationError({"mapping": [f"Not valid JSON: {exc}"]}) from exc
        try:
            run = services.import_list(
                upload=values["file"],
                list_name=values["list_name"],
                vendor=values.get("vendor", ""),
                price=values.get("price"),
                mode=values["mode"],
                duplicates=values["duplicates"],
                mapping=mapping,
                encoding=values.get("encoding"),
                delimiter=values.get("delimiter"),
                by=request.user,
            )
        except FileTooLarge:
            raise UploadTooLarge from None
        return Response(_body(run, request), status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY)})
    @action(detail=True, methods=["get"])
    def rejected(self, request, pk=None):
        """The rejected rows as CSV: the line, the problems, then the row's cells as given."""
        return downloads.rejected_rows(self.get_object())
