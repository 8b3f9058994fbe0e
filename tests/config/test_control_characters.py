"""A name typed with a line break ("Ann\\r\\nBcc: x@y") is refused with a field error at every
way in: capture, the browser forms (lead edit, new caller, referrals), the follow-ups API and
list imports; free text keeps its line breaks and loses other control characters; and an
e-mail subject is one line whatever it is made from, so it can always be sent."""

import pytest
from django.core import mail

from config.text import ONE_LINE
from crm.models import Contact
from followups.models import FollowUp
from imports.fields import clean_row
from leads.models import Interaction, Lead
from outbox.models import Email
from outbox.services import Message, queue_emails, send_email
from tests.factories import ContactFactory, LeadFactory, client_for

pytestmark = pytest.mark.django_db

INJECTED = "Ann\r\nBcc: victim@example.com"


def _nothing_new(contacts: int, leads: int) -> bool:
    return Contact.objects.count() == contacts and Lead.objects.count() == leads


@pytest.mark.parametrize("field", ["first_name", "last_name", "company", "title", "utm_source"])
def test_capture_refuses_a_line_break_in_a_one_line_field_in_json_and_in_a_form(field, api_as, form_key):
    _row, raw_key = form_key
    capture = api_as(None)
    as_json = capture.post(
        "/api/v1/capture/", {"email": "ann@example.com", field: INJECTED}, format="json", HTTP_X_FORM_KEY=raw_key
    )
    as_form = capture.generic(
        "POST",
        "/api/v1/capture/",
        f"email=ann%40example.com&{field}=Ann%0D%0ABcc%3A+x%40y",
        content_type="application/x-www-form-urlencoded",
        HTTP_X_FORM_KEY=raw_key,
    )
    for response in (as_json, as_form):
        assert response.status_code == 400, response.content
        assert response.json() == {field: [ONE_LINE]}
    assert _nothing_new(0, 0)


def test_capture_keeps_the_messages_lines_and_drops_its_other_control_characters(api_as, form_key):
    _row, raw_key = form_key
    message = "Quote please\r\nfor two units\x0b\x1b[31m soon\x7f\x85"
    response = api_as(None).post(
        "/api/v1/capture/", {"email": "ann@example.com", "message": message}, format="json", HTTP_X_FORM_KEY=raw_key
    )
    assert response.status_code == 201, response.content
    lead = Lead.objects.get()
    assert lead.inquiry_reason == "Quote please\r\nfor two units[31m soon"
    assert Interaction.objects.get(lead=lead).note == "Quote please\r\nfor two units[31m soon"


def test_free_text_from_the_api_and_the_pages_keeps_its_lines_and_loses_other_control_characters(users, api_as):
    lead = LeadFactory()
    patched = api_as(users["csr"]).patch(
        f"/api/v1/leads/{lead.pk}/", {"desired_outcome": "Lower bills\n\x1b[2Jnow"}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["desired_outcome"] == "Lower bills\n[2Jnow"
    logged = client_for(users["csr"]).post(f"/leads/{lead.pk}/log/", {"kind": "note", "note": "Called\r\nback\x08"})
    assert logged.status_code in (200, 302)
    assert Interaction.objects.get(lead=lead, kind="note").note == "Called\r\nback"


def test_the_lead_edit_page_shows_the_refusal_beside_the_field_and_changes_nothing(users):
    lead = LeadFactory(contact=ContactFactory(first_name="Ann", title="Owner"))
    page = client_for(users["csr"])
    contact = lead.contact
    response = page.post(
        f"/leads/{lead.pk}/edit/",
        {
            "first_name": INJECTED,
            "last_name": contact.last_name,
            "email": contact.email,
            "phone": contact.phone,
            "title": "Owner",
            "mailing_address": "12 Elm St\r\nSpringfield\x07",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["first_name"] == [ONE_LINE]
    assert ONE_LINE in response.content.decode()
    contact.refresh_from_db()
    assert contact.first_name == "Ann"
    # The address keeps its lines and loses the bell once the name is fixed.
    response = page.post(
        f"/leads/{lead.pk}/edit/",
        {
            "first_name": "Ann",
            "last_name": contact.last_name,
            "email": contact.email,
            "phone": contact.phone,
            "title": "Owner",
            "mailing_address": "12 Elm St\r\nSpringfield\x07",
        },
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.mailing_address == "12 Elm St\r\nSpringfield"


def test_a_new_caller_with_a_line_break_in_the_name_is_not_created(users):
    page = client_for(users["csr"])
    response = page.post("/console/new-caller/", {"first_name": INJECTED, "last_name": "Lee", "phone": "555 010 1234"})
    assert ONE_LINE in response.content.decode()
    assert _nothing_new(0, 0)


def test_a_referral_with_a_line_break_in_the_name_is_refused_beside_it(users, api_as):
    from django.utils import timezone

    lead = LeadFactory()
    followup = FollowUp.objects.create(lead=lead, kind="callback", due_at=timezone.now(), assignee=users["csr"])
    response = api_as(users["csr"]).post(
        f"/api/v1/followups/{followup.pk}/complete/",
        {"note": "Called", "referrals": [{"first_name": INJECTED, "phone": "555 010 7788"}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"referrals[0].first_name": [ONE_LINE]}
    assert Lead.objects.count() == 1 and FollowUp.objects.get(pk=followup.pk).status != "done"


def test_an_imported_name_with_a_line_break_is_rejected_with_its_row():
    header = ["Name", "Email", "Street"]
    mapping = ["full_name", "email", "street"]
    bad, problems = clean_row([INJECTED, "ann@example.com", "1 Main"], line=2, header=header, mapping=mapping)
    assert [(p.column, p.message) for p in problems] == [("Name", ONE_LINE)]
    good, problems = clean_row(
        ["Ann Lee", "ann@example.com", "1 Main\r\nApt 2\x07"], line=3, header=header, mapping=mapping
    )
    assert problems == [] and good.contact["mailing_address"] == "1 Main\r\nApt 2"


def test_a_subject_is_one_line_whatever_it_is_made_from_so_it_can_be_sent(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    [email_id] = queue_emails(
        [Message(key="test:1", to="ann@example.com", subject=f"Hello {INJECTED}\x00!", text="Hi")]
    )
    assert Email.objects.get(pk=email_id).subject == "Hello Ann Bcc: victim@example.com !"
    assert send_email(email_id) is True
    [sent] = mail.outbox
    assert sent.subject == "Hello Ann Bcc: victim@example.com !" and sent.bcc == []
