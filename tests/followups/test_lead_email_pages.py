"""E-mail from the lead page (desk/lead_email.py) and POST /api/v1/leads/{id}/email/ (CONTRACT
"Daily use"): 201, sent through the outbox and logged on the lead's timeline; refusals said in
words, nothing written."""

import pytest
from django.utils.html import escape

from crm.models import Contact
from followups.models import LetterTemplate
from leads.models import Interaction
from outbox.models import Email
from tests.factories import ContactFactory, LeadFactory, lead_after, sales_ready_lead, signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead():
    contact = ContactFactory(first_name="Ann", last_name="Lee", email="ann@harbor.example")
    return lead_after("call_inbound", contact=contact)


@pytest.fixture
def letter():
    return LetterTemplate.objects.create(
        name="Still thinking it over",
        subject="{{ first_name }}, still thinking it over?",
        body="Dear {{ first_name }},\n\nCall us and mention {{ response_code }}.\n\n{{ salesperson }}",
    )


# --- The API ---------------------------------------------------------------------------------


def test_the_api_sends_and_answers_201_with_the_timeline_entry(lead, users, api_as):
    response = api_as(users["csr"]).post(
        f"/api/v1/leads/{lead.pk}/email/", {"subject": "Your quote", "text": "Hello {{ first_name }}"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    email = Email.objects.get()
    assert (body["id"], body["lead"], body["to"], body["status"]) == (email.pk, lead.pk, "ann@harbor.example", "queued")
    assert (body["subject"], body["text"], body["marketing"]) == ("Your quote", "Hello Ann", False)
    assert body["interaction"]["kind"] == "email_sent" and body["interaction"]["author"] == users["csr"].username
    assert email.key == f"lead-email:{body['interaction']['id']}"


@pytest.mark.parametrize(
    "role,expected", [("csr", 201), ("marketing", 201), ("manager", 201), ("sales", 404), ("nobody", 403)]
)
def test_who_may_write_about_an_inquiry(lead, users, api_as, role, expected):
    response = api_as(users[role]).post(
        f"/api/v1/leads/{lead.pk}/email/", {"subject": "Hello", "text": "Hi"}, format="json"
    )
    assert response.status_code == expected, response.content
    assert Email.objects.count() == (1 if expected == 201 else 0)


def test_a_salesperson_writes_about_their_own_lead(users, api_as):
    own = sales_ready_lead(owner=users["sales"])
    response = api_as(users["sales"]).post(
        f"/api/v1/leads/{own.pk}/email/", {"subject": "Hello", "text": "Hi"}, format="json"
    )
    assert response.status_code == 201


def test_the_api_refuses_with_409_and_400(lead, users, api_as):
    client = api_as(users["csr"])
    url = f"/api/v1/leads/{lead.pk}/email/"

    blank = client.post(url, {"subject": "", "text": "Hi"}, format="json")
    merge_field = client.post(url, {"subject": "Hi", "text": "{{ shoe_size }}"}, format="json")
    Contact.objects.filter(pk=lead.contact_id).update(do_not_contact=True)
    refused = client.post(url, {"subject": "Hello", "text": "Hi"}, format="json")

    assert blank.status_code == 400 and "subject" in blank.json()
    assert merge_field.status_code == 400 and "Unknown merge field" in merge_field.json()["text"][0]
    assert refused.status_code == 409 and "asked not to be contacted" in refused.json()["detail"]
    assert not Email.objects.exists() and not Interaction.objects.filter(kind="email_sent").exists()


def test_the_interactions_endpoint_does_not_log_an_e_mail_nobody_sent(lead, users, api_as):
    response = api_as(users["csr"]).post(
        f"/api/v1/leads/{lead.pk}/interactions/", {"kind": "email_sent", "note": "Sent the quote"}, format="json"
    )
    assert response.status_code == 400 and "An e-mail is logged when it is sent" in response.json()["kind"][0]
    assert not Interaction.objects.filter(kind="email_sent").exists()


# --- The pages -------------------------------------------------------------------------------


def test_the_timeline_says_when_the_mail_server_refused_the_e_mail(lead, users, api_as):
    from outbox.services import GAVE_UP

    api_as(users["csr"]).post(f"/api/v1/leads/{lead.pk}/email/", {"subject": "Hi", "text": "Hello"}, format="json")
    Email.objects.update(attempts=GAVE_UP, last_error="550 5.1.1 no such user")
    page = signed_in_client(users["csr"]).get(f"/leads/{lead.pk}/").content.decode()
    assert "not delivered: 550 5.1.1 no such user" in page and "waiting in the outbox" not in page


def test_the_lead_page_offers_an_e_mail_only_to_a_contact_who_can_get_one(lead, users):
    client = signed_in_client(users["csr"])
    assert f'href="/leads/{lead.pk}/email/"' in client.get(f"/leads/{lead.pk}/").content.decode()

    no_address = LeadFactory(contact=ContactFactory(email=""))
    page = client.get(f"/leads/{no_address.pk}/").content.decode()
    form = client.get(f"/leads/{no_address.pk}/email/").content.decode()

    assert f'href="/leads/{no_address.pk}/email/"' not in page
    assert "has no e-mail address: add one with Edit on the lead page first." in form and "<textarea" not in form


def test_a_letter_template_starts_the_e_mail_and_says_it_needs_consent(lead, users, letter):
    html = signed_in_client(users["csr"]).get(f"/leads/{lead.pk}/email/?template={letter.pk}").content.decode()

    assert 'value="{{ first_name }}, still thinking it over?"' in html  # copied in, merge fields and all
    assert "has not agreed to marketing e-mail" in html
    assert f'<input type="hidden" name="template" value="{letter.pk}">' in html


def test_a_letter_starts_an_e_mail_without_the_lines_that_quote_its_response_code(lead, users, letter):
    """A printed letter asks to mention its code; an e-mail has none, so that line is left out
    (and the page says which), and the e-mail started from the letter previews at once."""
    client = signed_in_client(users["csr"])
    html = client.get(f"/leads/{lead.pk}/email/?template={letter.pk}").content.decode()
    textarea = html.split('name="text"')[1].split("</textarea>")[0]
    assert "response_code" not in textarea and "Dear {{ first_name }}," in textarea and "{{ salesperson }}" in textarea
    assert "Left out of the letter" in html and "<li>Call us and mention {{ response_code }}.</li>" in html

    subject = f"{letter.subject}"
    text = "Dear {{ first_name }},\n\n{{ salesperson }}"
    preview = client.post(
        f"/leads/{lead.pk}/email/", {"template": letter.pk, "subject": subject, "text": text, "preview": "1"}
    )
    assert preview.status_code == 200 and 'data-testid="email-preview"' in preview.content.decode()


def test_the_preview_shows_the_e_mail_as_it_will_read_and_sends_nothing(lead, users):
    response = signed_in_client(users["csr"]).post(
        f"/leads/{lead.pk}/email/",
        {"subject": "For {{ first_name }}", "text": "Hi {{ first_name }} <script>alert(1)</script>", "preview": "1"},
    )

    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="email-preview"' in html
    assert "<strong>For Ann</strong>" in html
    assert "Hi Ann &lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert not Email.objects.exists()


def test_sending_from_the_page_happens_once_and_shows_on_the_timeline(lead, users):
    client = signed_in_client(users["csr"])
    form = {"subject": "Your quote", "text": "Hello {{ first_name }}", "send": "1", "submission": "email-token-1"}

    first = client.post(f"/leads/{lead.pk}/email/", form, follow=True)
    second = client.post(f"/leads/{lead.pk}/email/", form, follow=True)

    assert first.redirect_chain == [(f"/leads/{lead.pk}/", 302)]
    page = first.content.decode()
    assert escape("E-mail to ann@harbor.example is in the outbox") in page
    assert "<strong>E-mail sent</strong> by csr1 · waiting in the outbox" in page
    assert "Subject: Your quote<br><br>Hello Ann" in page
    assert "Already sent: the form arrived twice and the e-mail went once." in second.content.decode()
    assert Email.objects.count() == 1


def test_a_refusal_is_said_on_the_page_and_the_e_mail_kept(lead, users, letter):
    response = signed_in_client(users["csr"]).post(
        f"/leads/{lead.pk}/email/",
        {"template": letter.pk, "subject": letter.subject, "text": letter.body, "send": "1"},
    )

    html = response.content.decode()
    assert response.status_code == 400  # the letter quotes {{ response_code }}: take it out first
    assert escape("{{ response_code }} is a printed letter's own code") in html

    response = signed_in_client(users["csr"]).post(
        f"/leads/{lead.pk}/email/",
        {"template": letter.pk, "subject": letter.subject, "text": "Dear {{ first_name }}", "send": "1"},
    )
    assert response.status_code == 409 and "has not agreed to marketing e-mail" in response.content.decode()
    assert "Dear {{ first_name }}</textarea>" in response.content.decode()
    assert not Email.objects.exists()


def test_the_lead_page_and_the_console_say_a_contact_asked_not_to_be_contacted(lead, users):
    client = signed_in_client(users["csr"])
    assert 'data-testid="do-not-contact"' not in client.get(f"/leads/{lead.pk}/").content.decode()
    Contact.objects.filter(pk=lead.contact_id).update(do_not_contact=True)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert 'data-testid="do-not-contact"' in page and "they asked us not to" in page
