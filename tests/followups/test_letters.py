"""Unclosed-prospect letters: templates with safe merge fields, the selection, dry runs, the
batch as a background job (exactly one letter per lead), the combined PDF, responses and the
batch's conversion rate."""

import io
from collections import Counter
from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.db.models import Count
from django.utils import timezone
from pypdf import PdfReader

from followups.letters import selectors, services
from followups.models import Letter, LetterBatch
from jobs import services as jobs
from leads.kinds import Stage
from leads.models import Lead
from outbox.models import Email
from tests.factories import LeadFactory, client_for
from tests.followups.conftest import unclosed_lead

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr(jobs, "enqueue_job", lambda job_id: None)


@pytest.fixture
def marketing(users, api_as):
    return api_as(users["marketing"])


def send(template, **kwargs):
    """Start a batch and work its job here, as the worker would."""
    batch = services.start_batch(template_id=template.pk, **kwargs)
    jobs.run_job(batch.job_id)
    batch.refresh_from_db()
    return batch


def test_a_template_with_an_unknown_merge_field_is_refused_with_the_field_named(marketing):
    response = marketing.post(
        "/api/v1/letters/templates/",
        {"name": "Try", "subject": "Hi {{ first_name }}", "body": "Your {{ shoe_size }} and {{ user.password }}"},
        format="json",
    )
    assert response.status_code == 400
    assert "{{ shoe_size }}" in response.json()["body"][0]
    stray = marketing.post(
        "/api/v1/letters/templates/", {"name": "Try", "subject": "Hi {first_name}}", "body": "x"}, format="json"
    )
    assert stray.status_code == 400 and "braces" in stray.json()["subject"][0]


def test_the_selection_is_unclosed_long_enough_reachable_and_not_lettered_lately(letter_template):
    due = unclosed_lead(days_ago=40)
    unclosed_lead(days_ago=5)  # too recent
    unclosed_lead(days_ago=40, do_not_contact=True)
    LeadFactory(stage=Stage.INQUIRY)
    lettered = unclosed_lead(days_ago=90)
    batch = LetterBatch.objects.create(template=letter_template, unclosed_days=30, selected_at=timezone.now())
    Letter.objects.create(
        batch=batch,
        lead=lettered,
        template=letter_template,
        code="K7Q4MZPX",
        sent_at=timezone.now() - timedelta(days=10),
    )
    chosen = selectors.eligible_leads(letter_template, unclosed_days=30, at=timezone.now())
    assert list(chosen.values_list("pk", flat=True)) == [due.pk]


def test_a_campaign_segment_narrows_the_selection(letter_template):
    from campaigns.models import Campaign

    owner = unclosed_lead(title="Owner", persona="owner")
    unclosed_lead(persona="tenant")
    letter_template.campaign = Campaign.objects.create(name="Owners", segment={"personas": ["owner"]})
    letter_template.save()
    chosen = selectors.eligible_leads(letter_template, unclosed_days=30, at=timezone.now())
    assert list(chosen.values_list("pk", flat=True)) == [owner.pk]


def test_a_dry_run_counts_and_renders_one_letter_and_writes_nothing(letter_template, marketing):
    lead = unclosed_lead(first_name="Grace")
    unclosed_lead()
    response = marketing.post(
        "/api/v1/letters/batches/", {"template": letter_template.pk, "dry_run": True}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2
    assert body["preview"]["lead"] == lead.pk and body["preview"]["subject"] == "Grace, still thinking it over?"
    assert "Dear Grace," in body["preview"]["text"]
    assert not LetterBatch.objects.exists() and not Letter.objects.exists()


@pytest.mark.parametrize(
    "body,field",
    [
        ({"template": 99999}, "template"),
        ({"template": "x"}, "template"),
        ({"template": 1, "unclosed_days": -1}, "unclosed_days"),
    ],
)
def test_bad_batch_requests_are_refused_before_anything_is_queued(body, field, marketing):
    response = marketing.post("/api/v1/letters/batches/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not LetterBatch.objects.exists()


def test_an_empty_selection_is_refused(letter_template, marketing):
    response = marketing.post("/api/v1/letters/batches/", {"template": letter_template.pk}, format="json")
    assert response.status_code == 400 and "No lead" in response.json()["selection"][0]
    assert not LetterBatch.objects.exists()


def test_a_batch_sends_one_letter_per_lead_with_codes_emails_and_one_combined_pdf(
    letter_template, marketing, settings, tmp_path
):
    settings.CRM_LETTERS_DIR = tmp_path
    settings.CRM_LETTER_CHUNK = 2  # several chunks
    consenting = unclosed_lead(first_name="Grace", consent=True)
    unclosed_lead(first_name="Omar", consent=False)
    unclosed_lead(first_name="Julia", email="", consent=True)
    started = marketing.post("/api/v1/letters/batches/", {"template": letter_template.pk}, format="json")
    assert started.status_code == 202, started.content
    assert started.json()["status"] == "queued" and started.json()["total"] == 3
    batch_id = started.json()["id"]
    jobs.run_job(started.json()["job"])

    report = marketing.get(f"/api/v1/letters/batches/{batch_id}/").json()
    assert (report["status"], report["sent"], report["emailed"], report["failed"]) == ("done", 3, 0, 0)  # queued
    letters = list(Letter.objects.filter(batch_id=batch_id))
    assert len({letter.code for letter in letters}) == 3
    assert all(len(letter.code) == 8 for letter in letters)
    [email] = Email.objects.all()
    assert email.to_address == consenting.contact.email and email.key.startswith("letter:")
    mine = next(letter for letter in letters if letter.lead_id == consenting.pk)
    assert f"{mine.code[:4]}-{mine.code[4:]}" in email.text and "Dear Grace," in email.text

    pdf = marketing.get(report["pdf"].replace("http://testserver", ""))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages
    assert len(pages) == 3
    assert "Dear Grace," in pages[0].extract_text() or any("Dear Grace," in p.extract_text() for p in pages)

    listed = marketing.get(f"/api/v1/letters/?batch={batch_id}&lead={consenting.pk}").json()["results"]
    assert [row["code"] for row in listed] == [f"{mine.code[:4]}-{mine.code[4:]}"]
    one = marketing.get(f"/api/v1/letters/{mine.pk}/pdf/")
    assert one.status_code == 200 and "Dear Grace," in PdfReader(io.BytesIO(one.content)).pages[0].extract_text()


def test_a_letter_counts_as_e_mailed_only_once_its_e_mail_was_sent(
    letter_template, marketing, users, settings, tmp_path
):
    """The e-mail is queued with the letter; until the outbox has sent it the batch report, the
    letters' API, the batch page and the lead's timeline do not call the letter e-mailed."""
    from outbox.services import send_pending

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CRM_LETTERS_DIR = tmp_path
    grace = unclosed_lead(first_name="Grace", consent=True)
    unclosed_lead(first_name="Omar", consent=False)
    batch = services.start_batch(template_id=letter_template.pk)
    jobs.run_job(batch.job_id)
    [email] = Email.objects.filter(sent_at__isnull=True)  # queued: no worker has sent it yet

    def seen_as_emailed():
        report = marketing.get(f"/api/v1/letters/batches/{batch.pk}/").json()
        letters = marketing.get(f"/api/v1/letters/?batch={batch.pk}").json()["results"]
        page = client_for(users["marketing"]).get(f"/letters/batches/{batch.pk}/").content.decode()
        timeline = client_for(users["marketing"]).get(f"/leads/{grace.pk}/").content.decode()
        return (
            report["emailed"],
            sorted(row["emailed"] for row in letters),
            "printed in the PDF; 1 also e-mailed" in page,
            "also e-mailed" in timeline,
        )

    assert seen_as_emailed() == (0, [False, False], False, False)
    assert send_pending() == 1
    assert seen_as_emailed() == (1, [False, True], True, True)


def test_a_chunk_worked_again_after_a_crash_sends_nothing_twice(letter_template, settings, tmp_path):
    from followups.letters.jobs import LetterBatchJob

    settings.CRM_LETTERS_DIR = tmp_path
    for _ in range(4):
        unclosed_lead(consent=True)
    batch = services.start_batch(template_id=letter_template.pk)
    job_slice = batch.job.slices.first()
    kind = LetterBatchJob()
    state = kind.begin(batch.job)
    kind.work(batch.job, job_slice, state)  # done, but its cursor never saved: the worker died
    kind.work(batch.job, job_slice, state)  # the same chunk again
    jobs.run_job(batch.job_id)
    assert Letter.objects.filter(batch=batch).count() == 4
    assert Email.objects.count() == 4


def test_the_database_refuses_a_second_letter_for_a_lead_in_one_batch(letter_template):
    lead = unclosed_lead()
    batch = LetterBatch.objects.create(template=letter_template, unclosed_days=30, selected_at=timezone.now())
    Letter.objects.create(batch=batch, lead=lead, template=letter_template, code="AAAABBBB", sent_at=timezone.now())
    with pytest.raises(IntegrityError):
        Letter.objects.create(batch=batch, lead=lead, template=letter_template, code="CCCCDDDD", sent_at=timezone.now())


def test_a_second_batch_while_one_runs_is_refused_and_afterwards_reaches_nobody_twice(
    letter_template, marketing, settings, tmp_path
):
    """Counted letter by letter: the first batch writes one letter (and one e-mail) per lead, a
    second started while it runs is refused, and one started afterwards, inside the resend
    window, reaches only the lead who became due since, although its selection spans the pks of
    leads already lettered."""
    settings.CRM_LETTERS_DIR = tmp_path
    settings.CRM_LETTER_CHUNK = 2  # several chunks
    first_reached = unclosed_lead(consent=True)
    not_due_yet = unclosed_lead(days_ago=5, consent=True)
    also_reached = unclosed_lead(consent=True)
    later = unclosed_lead(days_ago=5, consent=True)
    first = services.start_batch(template_id=letter_template.pk)
    busy = marketing.post("/api/v1/letters/batches/", {"template": letter_template.pk}, format="json")
    assert busy.status_code == 409
    assert LetterBatch.objects.count() == 1
    jobs.run_job(first.job_id)
    assert sorted(Letter.objects.filter(batch=first).values_list("lead_id", flat=True)) == sorted(
        [first_reached.pk, also_reached.pk]
    )

    again = marketing.post("/api/v1/letters/batches/", {"template": letter_template.pk}, format="json")
    assert again.status_code == 400  # everyone due was lettered within the window
    Lead.objects.filter(pk__in=[not_due_yet.pk, later.pk]).update(closed_at=timezone.now() - timedelta(days=40))
    second = marketing.post("/api/v1/letters/batches/", {"template": letter_template.pk}, format="json")
    assert second.status_code == 202, second.content
    jobs.run_job(second.json()["job"])
    assert sorted(Letter.objects.filter(batch_id=second.json()["id"]).values_list("lead_id", flat=True)) == sorted(
        [not_due_yet.pk, later.pk]
    )
    letters_per_lead = dict(Letter.objects.order_by().values_list("lead_id").annotate(n=Count("pk")))
    leads = [first_reached, not_due_yet, also_reached, later]
    assert letters_per_lead == {lead.pk: 1 for lead in leads}
    emails_per_address = Counter(Email.objects.values_list("to_address", flat=True))
    assert emails_per_address == {lead.contact.email: 1 for lead in leads}


def test_merge_values_are_escaped_in_the_html_e_mail(letter_template, settings, tmp_path):
    settings.CRM_LETTERS_DIR = tmp_path
    unclosed_lead(first_name="<script>alert(1)</script>", consent=True)
    send(letter_template)
    html = Email.objects.get().html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_salesperson_signs_with_the_owners_name_and_only_an_unowned_lead_gets_the_team(
    letter_template, settings, tmp_path, users
):
    """{{ salesperson }} is the lead's owner: a user made by create_user has only a user name,
    which is still the person, never the company."""
    from tests.factories import make_user

    settings.CRM_LETTERS_DIR, settings.CRM_COMPANY_NAME = tmp_path, "Acme Heating"
    rep = make_user("rep_jo", "sales")
    named = make_user("rep_sam", "sales")
    named.first_name, named.last_name = "Sam", "Rivera"
    named.save(update_fields=["first_name", "last_name"])
    leads = {
        "rep_jo": unclosed_lead(by=rep),
        "Sam Rivera": unclosed_lead(by=named),
        "The Acme Heating team": unclosed_lead(by=users["manager"], claim=False),  # closed from the pool
    }
    send(letter_template)
    for signed, lead in leads.items():
        assert Letter.objects.get(lead=lead).text.endswith(f"Kind regards,\n{signed}")
    owned = Lead.objects.select_related("contact", "owner").get(pk=leads["rep_jo"].pk)
    assert services.preview(letter_template, owned)["text"].endswith("Kind regards,\nrep_jo")


def test_a_letter_code_read_out_on_a_call_or_sent_with_a_form_counts_as_a_response(
    letter_template, settings, tmp_path, users, api_as, form_key
):
    settings.CRM_LETTERS_DIR = tmp_path
    called = unclosed_lead(consent=True)
    wrote = unclosed_lead(consent=True)
    send(letter_template)
    by_phone = Letter.objects.get(lead=called)
    by_form = Letter.objects.get(lead=wrote)

    typed = f"{by_phone.code[:4].lower()}-{by_phone.code[4:]}"
    logged = api_as(users["csr"]).post(
        f"/api/v1/leads/{called.pk}/interactions/", {"kind": "call_inbound", "letter_code": typed}, format="json"
    )
    assert logged.status_code == 201, logged.content
    assert logged.json()["interaction"]["metadata"]["letter_code"] == by_phone.code
    _row, raw_key = form_key
    captured = api_as(None).post(
        "/api/v1/capture/",
        {"email": wrote.contact.email, "offer_code": by_form.code, "message": "About your letter"},
        format="json",
        HTTP_X_FORM_KEY=raw_key,
    )
    assert captured.status_code == 200, captured.content
    wrote.refresh_from_db()
    # Answering reopens the unclosed lead; with its facts and 60 + 30 for the form it qualifies at once.
    assert wrote.offer_code_problem == "" and wrote.stage == "sales_ready"
    stages = list(wrote.stage_changes.order_by("pk").values_list("to_stage", flat=True))
    assert stages[-2:] == ["inquiry", "sales_ready"]
    assert Letter.objects.filter(responded_at__isnull=False).count() == 2
    unknown = api_as(users["csr"]).post(
        f"/api/v1/leads/{called.pk}/interactions/", {"kind": "call_inbound", "letter_code": "ZZZZ-ZZZZ"}, format="json"
    )
    assert unknown.status_code == 400 and "letter_code" in unknown.json()


def test_the_batch_report_counts_sales_after_the_letter_with_a_confidence_interval(
    letter_template, settings, tmp_path, users
):
    from sales import services as sales

    settings.CRM_LETTERS_DIR = tmp_path
    leads = [unclosed_lead() for _ in range(5)]
    batch = send(letter_template)
    sales.close_lead(lead_id=leads[0].pk, outcome="won", amount="1500", by=users["manager"])
    report = selectors.batch_report(batch)
    assert (report["sent"], report["won"], report["revenue"]) == (5, 1, "1500.00")
    assert report["conversion_rate"] == 0.2
    low, high = report["conversion_interval"]
    assert 0.0 < low < 0.2 < high < 1.0
    assert report["article_conversion_rate"] == 0.04


def test_the_wilson_interval_is_sane_at_the_edges():
    assert selectors.wilson_interval(0, 0) is None
    low, high = selectors.wilson_interval(0, 100)
    assert low == 0.0 and 0 < high < 0.05
    low, high = selectors.wilson_interval(40, 1000)
    assert round(low, 3) == 0.030 and round(high, 3) == 0.054
