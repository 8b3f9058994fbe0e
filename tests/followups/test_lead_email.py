"""One e-mail to a lead's contact (followups.letters.emails.email_lead): merge fields filled in
as text, sent through the outbox exactly once, logged on the lead's timeline, refused for a
contact who cannot be written to, and a letter template (marketing) only with consent."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from config.errors import Conflict
from crm.models import Contact
from data_rights.services import erase_contact
from followups.letters.emails import email_lead
from followups.models import LetterTemplate
from leads.kinds import InteractionKind
from leads.models import Interaction, Lead
from leads.selectors import lead_timeline, visible_leads
from leads.services import log_interaction
from outbox import services as outbox
from outbox.models import Email
from tests.factories import ContactFactory, LeadFactory, lead_after, live_offer, sales_ready_lead

pytestmark = pytest.mark.django_db

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def lead(settings):
    settings.EMAIL_BACKEND = LOCMEM
    contact = ContactFactory(first_name="Ann", last_name="Lee", email="ann@harbor.example", consent=False)
    return lead_after("call_inbound", contact=contact)


@pytest.fixture
def letter():
    offer = live_offer("SPRING25")
    return LetterTemplate.objects.create(
        name="Spring tune-up",
        subject="{{ first_name }}, 25% off until {{ offer_deadline }}",
        body="Dear {{ first_name }},\n\nQuote {{ offer_code }}: {{ offer_headline }}.\n\n{{ salesperson }}",
        offer=offer,
    )


def test_an_e_mail_goes_through_the_outbox_once_and_is_on_the_timeline(lead, users):
    before = Lead.objects.get(pk=lead.pk)

    sent = email_lead(
        lead_id=lead.pk,
        subject="Your quote, {{ first_name }}",
        text="Hello {{ first_name }},\n\nThe quote is attached.\n\n<b>Bob</b>",
        by=users["csr"],
    )

    row = Email.objects.get()
    assert row.key == f"lead-email:{sent.interaction.pk}" and row.to_address == "ann@harbor.example"
    assert row.subject == "Your quote, Ann"
    assert row.text == "Hello Ann,\n\nThe quote is attached.\n\n<b>Bob</b>"
    assert "&lt;b&gt;Bob&lt;/b&gt;" in row.html and "<b>" not in row.html  # what they typed, shown as text
    assert lead_timeline(lead)[0]["item"].emailed is False  # "waiting in the outbox" until it went
    assert outbox.send_pending() == 1 and outbox.send_pending() == 0  # exactly once
    [message] = mail.outbox
    assert message.to == ["ann@harbor.example"] and message.subject == "Your quote, Ann"
    interaction = Interaction.objects.get(kind=InteractionKind.EMAIL_SENT)
    assert interaction.author == users["csr"] and interaction.lead_id == lead.pk
    assert interaction.note.startswith("Subject: Your quote, Ann\n\nHello Ann,")
    entry = next(entry for entry in lead_timeline(lead) if entry["type"] == "interaction")
    assert entry["item"] == interaction and entry["item"].emailed  # "sent" on the timeline
    after = Lead.objects.get(pk=lead.pk)
    assert (after.last_activity_at, after.score) == (before.last_activity_at, before.score)  # our message, not theirs


def test_a_one_to_one_e_mail_needs_no_consent_but_a_letter_template_does(lead, users, letter):
    assert not lead.contact.consent
    email_lead(lead_id=lead.pk, subject="About your call", text="Here is the price.", by=users["csr"])

    with pytest.raises(Conflict) as refused:
        email_lead(
            lead_id=lead.pk, subject=letter.subject, text=letter.body, template_id=letter.pk, by=users["marketing"]
        )

    assert "has not agreed to marketing e-mail" in refused.value.detail
    assert Email.objects.count() == 1 and Interaction.objects.filter(kind="email_sent").count() == 1


def test_a_letter_template_fills_its_offer_for_a_contact_who_agreed(lead, users, letter):
    Contact.objects.filter(pk=lead.contact_id).update(consent=True)

    sent = email_lead(
        lead_id=lead.pk, subject=letter.subject, text=letter.body, template_id=letter.pk, by=users["marketing"]
    )

    assert sent.marketing
    assert sent.subject.startswith("Ann, 25% off until 20")  # the offer's deadline, a date
    assert "Quote SPRING25: SPRING25 deal." in sent.text
    assert sent.interaction.metadata == {"template": letter.pk, "marketing": True}


@pytest.mark.parametrize(
    "change,why",
    [
        ({"email": ""}, "has no e-mail address"),
        ({"do_not_contact": True}, "asked not to be contacted"),
    ],
)
def test_a_contact_who_cannot_be_written_to_is_refused_and_nothing_is_written(lead, users, change, why):
    Contact.objects.filter(pk=lead.contact_id).update(**change)

    with pytest.raises(Conflict) as refused:
        email_lead(lead_id=lead.pk, subject="Hello", text="Hi", by=users["csr"])

    assert why in refused.value.detail
    assert not Email.objects.exists() and not Interaction.objects.filter(kind="email_sent").exists()


def test_an_erased_contact_is_refused(lead, users):
    erase_contact(contact_id=lead.contact_id, by=users["manager"])
    with pytest.raises(Conflict) as refused:
        email_lead(lead_id=lead.pk, subject="Hello", text="Hi", by=users["manager"])
    assert "erased on request" in refused.value.detail
    assert not Email.objects.filter(key__startswith="lead-email:").exists()


def test_bad_input_is_refused_field_by_field(lead, users):
    with pytest.raises(ValidationError) as refused:
        email_lead(
            lead_id=lead.pk,
            subject="  ",
            text="Quote {{ offer_code }} and {{ response_code }}, {{ shoe_size }}",
            by=users["csr"],
        )
    errors = refused.value.message_dict
    assert errors["subject"] == ["Give the e-mail a subject."]
    assert "{{ response_code }} is a printed letter's own code: an e-mail has none. Take it out." in errors["text"]
    assert any("choose the offer it is about" in message for message in errors["text"])  # the lead has no offer
    assert any("Unknown merge field: {{ shoe_size }}" in message for message in errors["text"])
    assert not Email.objects.exists()


def test_a_salesperson_writes_only_about_leads_they_may_see(users):
    theirs = sales_ready_lead(owner=users["sales2"])
    with pytest.raises(Lead.DoesNotExist):
        email_lead(
            lead_id=theirs.pk,
            subject="Hello",
            text="Hi",
            by=users["sales"],
            within=visible_leads(users["sales"]),
        )
    assert not Email.objects.exists()


def test_the_contacts_export_and_erasure_find_the_e_mail_even_after_their_address_changed(lead, users):
    from data_rights.selectors import export_contact

    sent = email_lead(lead_id=lead.pk, subject="Your quote", text="Hello", by=users["csr"])
    Contact.objects.filter(pk=lead.contact_id).update(email="ann.lee@new.example")

    document = export_contact(Contact.objects.get(pk=lead.contact_id))
    erase_contact(contact_id=lead.contact_id, by=users["manager"])

    assert [row["key"] for row in document["emails"]] == [f"lead-email:{sent.interaction.pk}"]
    assert not Email.objects.exists()  # unsent: it never goes


def test_a_name_from_a_bought_list_gets_no_e_mail_without_consent(users):
    """A name on a bought list never inquired: there is no inquiry to answer, so any e-mail to
    them is marketing, refused without their consent (the page says so before anyone writes)."""
    cold = LeadFactory(stage="list", contact=ContactFactory(email="cold@example.com", consent=False))
    with pytest.raises(Conflict) as refused:
        email_lead(lead_id=cold.pk, subject="Hello", text="Hi", by=users["csr"])
    assert "a name from a bought list who has not inquired" in refused.value.detail
    assert not Email.objects.exists()

    agreed = LeadFactory(stage="list", contact=ContactFactory(email="warm@example.com", consent=True))
    assert email_lead(lead_id=agreed.pk, subject="Hello", text="Hi", by=users["csr"]).to == "warm@example.com"


def test_an_e_mail_the_mail_server_refused_says_so_on_the_timeline(lead, users):
    sent = email_lead(lead_id=lead.pk, subject="Your quote", text="Hello", by=users["csr"])
    Email.objects.filter(key=f"lead-email:{sent.interaction.pk}").update(
        attempts=outbox.GAVE_UP, last_error="550 5.1.1 no such user"
    )
    entry = next(entry for entry in lead_timeline(lead) if entry["type"] == "interaction")
    assert (entry["item"].emailed, entry["item"].email_refused) == (False, "550 5.1.1 no such user")


def test_a_subject_too_long_once_merged_is_refused_and_nothing_is_written(users):
    contact = ContactFactory(first_name="A" * 90, email="long@example.com")
    long_named = lead_after("call_inbound", contact=contact)
    with pytest.raises(ValidationError) as refused:
        email_lead(lead_id=long_named.pk, subject="{{ first_name }} " * 3, text="Hi", by=users["csr"])
    assert "With the merge fields filled in, the subject is" in refused.value.message_dict["subject"][0]
    assert not Email.objects.exists() and not Interaction.objects.filter(kind="email_sent").exists()


def test_a_lead_out_of_sight_is_not_found_before_anything_is_checked(users):
    theirs = sales_ready_lead(owner=users["sales2"])
    with pytest.raises(Lead.DoesNotExist):  # not a 400 that says the lead exists
        email_lead(lead_id=theirs.pk, subject=" ", text="", by=users["sales"], within=visible_leads(users["sales"]))


def test_an_e_mail_is_never_logged_by_hand(lead, users):
    with pytest.raises(ValidationError) as refused:
        log_interaction(lead_id=lead.pk, kind="email_sent", note="Sent them the quote", author=users["csr"])
    assert "An e-mail is logged when it is sent" in refused.value.message_dict["kind"][0]
    assert not Interaction.objects.filter(kind="email_sent").exists()


def test_a_reply_reaches_the_person_who_wrote(lead, users):
    writer = users["csr"]
    writer.email = "carla@ourcompany.example"
    writer.save(update_fields=["email"])
    email_lead(lead_id=lead.pk, subject="Your quote", text="Hello", by=writer)
    nameless = users["manager"]
    nameless.email = ""  # no address of their own: no Reply-To
    nameless.save(update_fields=["email"])
    email_lead(lead_id=lead.pk, subject="Your quote again", text="Hello", by=nameless)
    assert outbox.send_pending() == 2
    replies = {message.subject: message.reply_to for message in mail.outbox}
    assert replies["Your quote"] == ["carla@ourcompany.example"]
    assert replies["Your quote again"] == []
