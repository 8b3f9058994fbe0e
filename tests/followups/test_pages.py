"""The follow-up and letter pages through Django's test client."""

from datetime import timedelta

import pytest
from django.utils import timezone

from followups.models import FollowUp, FollowUpScript, Letter, LetterBatch, LetterTemplate
from jobs import services as jobs
from leads.models import Lead
from sales import services as sales
from tests.factories import LeadFactory, sales_ready_lead, signed_in_client
from tests.followups.conftest import unclosed_lead

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr(jobs, "enqueue_job", lambda job_id: None)


def due_after_sale(users):
    lead = sales_ready_lead(owner=users["sales"], inquiry_reason="x", desired_outcome="y")
    sales.close_lead(lead_id=lead.pk, outcome="won", amount="900", by=users["sales"])
    FollowUp.objects.filter(lead=lead, kind="closed_won").update(due_at=timezone.now() - timedelta(hours=1))
    return FollowUp.objects.get(lead=lead, kind="closed_won")


def test_my_follow_ups_lists_today_with_the_script_to_read(users):
    followup = due_after_sale(users)
    html = signed_in_client(users["sales"]).get("/followups/").content.decode()
    assert "Today" in html and str(followup.lead.contact) in html
    assert "Did we meet the needs you came to us with?" in html
    assert f'action="/followups/{followup.pk}/complete/"' in html


def test_completing_with_a_referral_from_the_page_shows_the_new_lead(users):
    followup = due_after_sale(users)
    page = signed_in_client(users["sales"])
    response = page.post(
        f"/followups/{followup.pk}/complete/",
        {
            "answer_needs_met": "yes",
            "note": "All good",
            "referral-0-first_name": "Rita",
            "referral-0-phone": "555 010 7788",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    referral = Lead.objects.get(source="referral")
    assert f'href="/leads/{referral.pk}/"' in response.content.decode()
    lead_page = page.get(f"/leads/{followup.lead_id}/").content.decode()
    assert "Follow-up call" in lead_page and "Rita" in lead_page  # the referral on the referrer's timeline
    referral_page = signed_in_client(users["csr"]).get(f"/leads/{referral.pk}/").content.decode()
    assert "Referred by" in referral_page


def test_a_bad_referral_shows_its_error_in_the_card_and_keeps_what_was_typed(users):
    followup = due_after_sale(users)
    response = signed_in_client(users["sales"]).post(
        f"/followups/{followup.pk}/complete/",
        {"answer_more_info": "Filters", "referral-0-first_name": "Rita"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert "Give an e-mail address or a phone number to reach them." in html
    assert 'value="Rita"' in html and 'value="Filters"' in html
    assert FollowUp.objects.get(pk=followup.pk).status == "scheduled"


def test_a_callback_from_the_lead_page_shows_in_its_follow_ups(users):
    lead = LeadFactory()
    page = signed_in_client(users["csr"])
    when = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT10:00")
    response = page.post(
        f"/leads/{lead.pk}/callback/",
        {"callback-due_at": when, "callback-note": "Tuesday at 10"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "Callback scheduled." in response.content.decode()
    assert FollowUp.objects.get(lead=lead).note == "Tuesday at 10"
    past = page.post(f"/leads/{lead.pk}/callback/", {"callback-due_at": "2020-01-01T10:00"}, HTTP_HX_REQUEST="true")
    assert "That time has passed" in past.content.decode()


def test_the_script_editor_saves_questions_written_one_a_line_and_names_a_bad_one(users):
    script = FollowUpScript.objects.get(trigger="closed_won")
    page = signed_in_client(users["marketing"])
    form = {
        "name": script.name,
        "trigger": "closed_won",
        "delay_days": "5",
        "assignee_rule": "owner",
        "active": "on",
        "questions": "needs_met | yes_no | Happy with it?\nreferral | text | Who else could use us?",
    }
    assert page.post(f"/followups/scripts/{script.pk}/", form).status_code == 302
    script.refresh_from_db()
    assert script.delay_days == 5 and [q["key"] for q in script.questions] == ["needs_met", "referral"]
    bad = page.post(f"/followups/scripts/{script.pk}/", {**form, "questions": "needs_met | text | Happy?"})
    assert bad.status_code == 400 and "Question 1 (kind)" in bad.content.decode()
    assert signed_in_client(users["csr"]).get("/followups/scripts/").status_code == 403


def test_composing_a_letter_names_an_unknown_merge_field_and_previews_escaped(users):
    page = signed_in_client(users["marketing"])
    bad = page.post(
        "/letters/new/",
        {
            "name": "Spring",
            "subject": "Hi",
            "body": "Dear {{ first_name }}, {{ password }}",
            "unclosed_days": 30,
            "resend_after_days": 90,
        },
    )
    assert bad.status_code == 400 and "{{ password }}" in bad.content.decode()
    assert not LetterTemplate.objects.filter(name="Spring").exists()
    preview = page.post("/letters/preview/", {"subject": "Hi", "body": "<script>x</script> {{ first_name }}"})
    assert "&lt;script&gt;" in preview.content.decode() and "<script>x" not in preview.content.decode()


def test_dry_run_then_send_then_watch_the_batch_and_download_its_pdf(users, settings, tmp_path, letter_template):
    settings.CRM_LETTERS_DIR = tmp_path
    unclosed_lead(first_name="Grace")
    page = signed_in_client(users["marketing"])
    dry = page.post(f"/letters/{letter_template.pk}/dry-run/", {"unclosed_days": "30"}, HTTP_HX_REQUEST="true")
    assert "<strong>1</strong> lead would get this letter" in dry.content.decode()
    sent = page.post(f"/letters/{letter_template.pk}/send/", {"unclosed_days": "30"})
    batch = LetterBatch.objects.get()
    assert sent.status_code == 302 and sent["Location"] == f"/letters/batches/{batch.pk}/"
    running = page.get(f"/letters/batches/{batch.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in running
    jobs.run_job(batch.job_id)
    done = page.get(f"/letters/batches/{batch.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' not in done and 'data-testid="batch-pdf"' in done
    pdf = page.get(f"/letters/batches/{batch.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    letter = Letter.objects.get()
    assert page.get(f"/letters/sent/{letter.pk}.pdf").status_code == 200


def test_the_poll_that_sees_the_batch_done_brings_its_letters_without_a_reload(
    users, settings, tmp_path, letter_template
):
    """The page polls only its report while the batch runs; the letters written must come with
    that poll, or the list says "None written" under a bar that says done until a reload."""
    settings.CRM_LETTERS_DIR = tmp_path
    unclosed_lead(first_name="Grace", last_name="Kim")
    page = signed_in_client(users["marketing"])
    page.post(f"/letters/{letter_template.pk}/send/", {"unclosed_days": "30"})
    batch = LetterBatch.objects.get()
    before = page.get(f"/letters/batches/{batch.pk}/").content.decode()
    assert "None written yet" in before and 'hx-trigger="every 2s"' in before
    jobs.run_job(batch.job_id)
    poll = page.get(f"/letters/batches/{batch.pk}/", HTTP_HX_REQUEST="true").content.decode()
    code = Letter.objects.get().code
    assert 'data-status="done"' in poll and 'hx-trigger="every 2s"' not in poll  # the last poll
    assert "Grace Kim" in poll and f"{code[:4]}-{code[4:]}" in poll and "None written" not in poll


def test_the_batch_page_shows_its_revenue_in_the_currency(users, settings, tmp_path, letter_template):
    settings.CRM_LETTERS_DIR = tmp_path
    lead = unclosed_lead(first_name="Grace")
    from followups.letters import services as letters

    batch = letters.start_batch(template_id=letter_template.pk)
    jobs.run_job(batch.job_id)
    sales.close_lead(lead_id=lead.pk, outcome="won", amount="4321", by=users["manager"])  # after its letter
    html = signed_in_client(users["marketing"]).get(f"/letters/batches/{batch.pk}/").content.decode()
    assert 'data-testid="revenue">$4,321.00</td>' in html  # it read "4321.00", no currency


def test_the_console_finds_a_letter_code_and_opens_its_caller(users, settings, tmp_path, letter_template):
    settings.CRM_LETTERS_DIR = tmp_path
    lead = unclosed_lead(first_name="Grace", last_name="Kim")
    from followups.letters import services as letters

    letters_batch = letters.start_batch(template_id=letter_template.pk)
    jobs.run_job(letters_batch.job_id)
    code = Letter.objects.get().code
    html = signed_in_client(users["csr"]).get(f"/console/search/?q={code[:4]}-{code[4:]}&pick=1").content.decode()
    assert 'data-testid="letter-hit"' in html and "Grace Kim" in html
    assert f'hx-post="/leads/{lead.pk}/log/"' in html  # the caller's panel is open
