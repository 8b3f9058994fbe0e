"""The letters API (CONTRACT "Follow-ups and letters"): templates, batches (dry run, send,
progress and report, the combined PDF) and letters, for marketing and managers; and one e-mail
to a lead's contact (CONTRACT "Daily use"), for anyone who may see the lead."""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import ID_PATTERN, IdField
from config.errors import Conflict
from crm.permissions import IsMarketingOrManager
from followups.letters import downloads, emails, merge, selectors, services
from followups.models import Letter, LetterBatch, LetterTemplate
from jobs.models import JobStatus
from leads.api import InteractionSerializer
from leads.selectors import visible_leads
from tracking import links


class LetterTemplateSerializer(serializers.ModelSerializer):
    merge_fields = serializers.SerializerMethodField()

    class Meta:
        model = LetterTemplate
        fields = [
            "id",
            "name",
            "subject",
            "body",
            "offer",
            "campaign",
            "unclosed_days",
            "resend_after_days",
            "active",
            "updated_at",
            "merge_fields",
        ]
        read_only_fields = ["id", "updated_at", "merge_fields"]
        extra_kwargs = {"name": {"validators": []}}  # uniqueness (any case) is the service's

    def get_merge_fields(self, template) -> dict[str, str]:
        return merge.FIELDS


class LetterPreviewSerializer(serializers.Serializer):
    lead = serializers.IntegerField(allow_null=True)
    reader = serializers.CharField(help_text="Who it is rendered for (a made-up reader when lead is null).")
    subject = serializers.CharField()
    text = serializers.CharField()
    html = serializers.CharField()


class BatchRequestSerializer(serializers.Serializer):
    template = serializers.IntegerField(min_value=1, max_value=2**62)
    unclosed_days = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=3650)
    dry_run = serializers.BooleanField(required=False, default=False)


class DryRunSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    emailed = serializers.IntegerField(
        help_text="Of those, also e-mailed: an address and consent, and the e-mail was sent (not just queued)."
    )
    without_address = serializers.IntegerField(help_text="Of those, with no postal address on record.")
    preview = LetterPreviewSerializer(allow_null=True)


class BatchStartedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    total = serializers.IntegerField()
    job = serializers.IntegerField()


class BatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    template = serializers.IntegerField()
    template_name = serializers.CharField()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    job = serializers.IntegerField(allow_null=True)
    progress = serializers.FloatField()
    total = serializers.IntegerField()
    sent = serializers.IntegerField()
    emailed = serializers.IntegerField()
    failed = serializers.IntegerField()
    responses = serializers.IntegerField()
    sales_ready = serializers.IntegerField(help_text="Leads that became sales-ready after their letter went out.")
    won = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
    human_opens = serializers.IntegerField(help_text="Opens of its e-mails by a person.")
    machine_opens = serializers.IntegerField(help_text="Opens by privacy proxies and mail scanners: never scored.")
    clicks = serializers.IntegerField(help_text="Clicks by a person on its e-mails' and letters' tracked links.")
    scans = serializers.IntegerField(help_text="Scans of its letters' QR codes.")
    forwards = serializers.IntegerField(help_text="People it was passed on to (the forward form).")
    response_rate = serializers.FloatField(allow_null=True)
    conversion_rate = serializers.FloatField(allow_null=True)
    conversion_interval = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    article_conversion_rate = serializers.FloatField()
    unclosed_days = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    pdf = serializers.CharField(allow_null=True, help_text="The combined PDF, once the batch is done.")


def batch_body(batch: LetterBatch, request) -> dict:
    job = batch.job
    report = selectors.batch_report(batch)
    pdf = request.build_absolute_uri(f"/api/v1/letters/batches/{batch.pk}/pdf/") if batch.pdf else None
    return {
        "id": batch.pk,
        "template": batch.template_id,
        "template_name": batch.template.name,
        "status": job.status if job else JobStatus.QUEUED,
        "job": job.pk if job else None,
        "progress": round(job.progress, 4) if job else 0.0,
        "total": job.total if job else 0,
        **report,
        "unclosed_days": batch.unclosed_days,
        "created_at": serializers.DateTimeField().to_representation(batch.created_at),
        "pdf": pdf,
    }


class LetterSerializer(serializers.ModelSerializer):
    code = serializers.SerializerMethodField()
    qr_url = serializers.SerializerMethodField(help_text="The tracked address printed in the letter's QR code.")
    emailed = serializers.BooleanField(
        read_only=True, help_text="Its e-mail went out: the contact has an address and consent, and it was sent."
    )

    class Meta:
        model = Letter
        fields = [
            "id",
            "lead",
            "batch",
            "template",
            "code",
            "status",
            "subject",
            "sent_at",
            "emailed",
            "responded_at",
            "qr_url",
        ]
        read_only_fields = fields

    def get_code(self, letter) -> str:
        return merge.display_code(letter.code)

    def get_qr_url(self, letter) -> str:
        printed = self.context.get("printed")
        if printed is None:  # one letter: read its own
            printed = links.printed([letter.pk])
        found = printed.get(letter.pk)
        return found.qr_url if found else ""


class LetterFilter(django_filters.FilterSet):
    batch = django_filters.NumberFilter(field_name="batch_id")
    lead = django_filters.NumberFilter(field_name="lead_id")

    class Meta:
        model = Letter
        fields = []


class LetterTemplateViewSet(viewsets.ModelViewSet):
    serializer_class = LetterTemplateSerializer
    permission_classes = [IsMarketingOrManager]
    queryset = LetterTemplate.objects.all()
    lookup_value_regex = ID_PATTERN

    def perform_create(self, serializer):
        serializer.instance = services.save_template(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.save_template(template=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        if instance.batches.exists():
            raise Conflict("This letter has been sent: archive it (active = false) to keep its batches' history.")
        instance.delete()

    @extend_schema(request=None, responses=LetterPreviewSerializer)
    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        """The letter as one lead of its selection would get it (a made-up reader if none fits)."""
        template = self.get_object()
        return Response(services.preview(template, selectors.first_reader(template)))


class LetterBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = BatchSerializer
    permission_classes = [IsMarketingOrManager]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return LetterBatch.objects.select_related("template", "job")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([batch_body(batch, request) for batch in page])

    def retrieve(self, request, *args, **kwargs):
        return Response(batch_body(self.get_object(), request))

    @extend_schema(
        request=BatchRequestSerializer,
        responses={202: BatchStartedSerializer, 200: DryRunSerializer},
    )
    def create(self, request):
        """{"template", "unclosed_days"?, "dry_run"?} → 202 and the batch sends in the
        background; a dry run answers 200 with the count and one letter rendered."""
        data = BatchRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values["dry_run"]:
            result = services.dry_run(template_id=values["template"], unclosed_days=values.get("unclosed_days"))
            return Response(
                {
                    "total": result.total,
                    "emailed": result.emailed,
                    "without_address": result.without_address,
                    "preview": result.preview,
                }
            )
        batch = services.start_batch(
            template_id=values["template"], unclosed_days=values.get("unclosed_days"), by=request.user
        )
        body = {"id": batch.pk, "status": batch.job.status, "total": batch.job.total, "job": batch.job.pk}
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        """The combined PDF for the mail house, once the batch is done."""
        return downloads.batch_pdf(self.get_object())


class LetterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = LetterSerializer
    permission_classes = [IsMarketingOrManager]
    filterset_class = LetterFilter
    lookup_value_regex = ID_PATTERN
    queryset = selectors.with_emailed(Letter.objects.all())
    ordering_fields = ["sent_at", "id"]
    ordering = ["-sent_at", "-id"]

    def list(self, request, *args, **kwargs):
        """A page of letters, their printed addresses read in one query for the page."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        printed = links.printed([letter.pk for letter in page])
        data = self.get_serializer(page, many=True, context=self.get_serializer_context() | {"printed": printed}).data
        return self.get_paginated_response(data)

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        """One letter as it was sent, printable."""
        return downloads.letter_pdf(
            Letter.objects.select_related("lead__contact__company").get(pk=self.get_object().pk)
        )


# --- One e-mail to a lead's contact (CONTRACT "Daily use") ------------------------------------


class LeadEmailRequestSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=emails.SUBJECT_MAX, help_text="One line; merge fields allowed.")
    text = serializers.CharField(max_length=emails.TEXT_MAX, help_text="Plain text; merge fields allowed.")
    template = IdField(
        required=False,
        allow_null=True,
        help_text="The letter template it was written from: marketing, so the contact's consent is needed.",
    )


class LeadEmailSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The outbox e-mail.")
    lead = serializers.IntegerField()
    to = serializers.CharField()
    subject = serializers.CharField(help_text="As sent, merge fields filled in.")
    text = serializers.CharField()
    marketing = serializers.BooleanField(help_text="Written from a letter template.")
    status = serializers.ChoiceField(choices=["queued"], help_text="It goes out with the outbox, exactly once.")
    interaction = InteractionSerializer(help_text="Its entry on the lead's timeline (kind email_sent).")


class LeadEmailView(APIView):
    """POST /api/v1/leads/{id}/email/ {"subject", "text", "template"?} → 201: the e-mail queued in
    the outbox and logged on the lead's timeline; any staff role, for a lead they may see (404
    otherwise). 400 with field errors; 409 for an erased contact, one without an e-mail address,
    one marked do-not-contact, or (from a template: marketing) one without consent."""

    @extend_schema(request=LeadEmailRequestSerializer, responses={201: LeadEmailSerializer})
    def post(self, request, pk: int):
        data = LeadEmailRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        sent = emails.email_lead(
            lead_id=int(pk),
            subject=values["subject"],
            text=values["text"],
            template_id=values.get("template"),
            by=request.user,
            within=visible_leads(request.user),
        )
        body = {
            "id": sent.email_id,
            "lead": sent.interaction.lead_id,
            "to": sent.to,
            "subject": sent.subject,
            "text": sent.text,
            "marketing": sent.marketing,
            "status": "queued",
            "interaction": InteractionSerializer(sent.interaction).data,
        }
        return Response(body, status=status.HTTP_201_CREATED)
