"""Editing a lead and its contact in the browser (/leads/<pk>/edit/): who may, normalized and
unique e-mail and phone with the reason beside the field, stage and score left alone unless the
edit makes the lead sales-ready (as the API's PATCH does)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from crm.models import Company, Contact
from crm.services import update_contact
from leads.kinds import Stage
from leads.models import Lead, StageChange
from scoring.models import ScoreChange
from tests.factories import (
    FACTS,
    CompanyFactory,
    ContactFactory,
    LeadFactory,
    client_for,
    closed_lead,
    hot_lead,
    lead_after,
    sales_ready_lead,
    won_lead,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def csr(users):
    return client_for(users["csr"])


def edit_url(lead) -> str:
    return f"/leads/{lead.pk}/edit/"


def form_data(lead, **changes) -> dict:
    """What the edit form posts when nothing is changed, with `changes` on top."""
    contact = lead.contact
    data = {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
        "company": contact.company.name if contact.company else "",
        "title": contact.title,
        "persona": contact.persona,
        "mailing_address": contact.mailing_address,
        "inquiry_reason": lead.inquiry_reason,
        "desired_outcome": lead.desired_outcome,
        "estimated_value": "" if lead.estimated_value is None else str(lead.estimated_value),
    }
    if contact.consent:
        data["consent"] = "on"
    if contact.do_not_contact:
        data["do_not_contact"] = "on"
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


# --- The page and the link ----------------------------------------------------------------------


def test_the_lead_page_links_to_the_edit_page(csr):
    lead = LeadFactory()
    html = csr.get(f"/leads/{lead.pk}/").content.decode()
    assert f'href="/leads/{lead.pk}/edit/"' in html and ">Edit</a>" in html


def test_the_edit_page_shows_the_contact_and_the_lead_as_they_are(csr):
    lead = LeadFactory(
        contact=ContactFactory(
            first_name="Dana",
            title="Owner",
            company=CompanyFactory(name="Northside Plumbing"),
            mailing_address="12 Elm St\nSpringfield",
            consent=True,
        ),
        inquiry_reason="Furnace died",
        estimated_value=Decimal("4200.00"),
    )

    response = csr.get(edit_url(lead))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Dana"' in html and 'value="Northside Plumbing"' in html and 'value="Owner"' in html
    assert "12 Elm St\nSpringfield</textarea>" in html and "Furnace died</textarea>" in html
    assert 'value="4200.00"' in html
    assert 'name="consent" id="id_consent" checked' in html
    assert (
        '<label for="id_phone">Phone</label>' in html
        and '<label for="id_mailing_address">Postal address</label>' in html
    )
    for absent in ('name="stage"', 'name="score"', 'name="owner"'):
        assert absent not in html


@pytest.mark.parametrize("role", ["csr", "marketing", "manager"])
def test_csr_marketing_and_managers_may_edit_any_lead(users, role):
    lead = sales_ready_lead(owner=users["sales2"])
    page = client_for(users[role])
    assert page.get(edit_url(lead)).status_code == 200
    assert page.post(edit_url(lead), form_data(lead, title="Owner")).status_code == 302
    lead.contact.refresh_from_db()
    assert lead.contact.title == "Owner"


def test_a_salesperson_edits_their_own_leads_and_the_pools_as_the_api_lets_them(users):
    own = sales_ready_lead(owner=users["sales"])
    pool = sales_ready_lead(contact=ContactFactory(title="Before"))
    theirs = sales_ready_lead(owner=users["sales2"])
    page = client_for(users["sales"])

    assert page.get(edit_url(own)).status_code == 200
    assert page.get(edit_url(theirs)).status_code == 404
    assert f"/leads/{own.pk}/edit/" in page.get(f"/leads/{own.pk}/").content.decode()
    assert f"/leads/{pool.pk}/edit/" in page.get(f"/leads/{pool.pk}/").content.decode()
    assert page.post(edit_url(pool), form_data(pool, title="After")).status_code == 302
    pool.contact.refresh_from_db()
    assert pool.contact.title == "After"


def test_without_a_role_or_a_login_nobody_edits(users):
    lead = LeadFactory()
    assert client_for(users["nobody"]).get(edit_url(lead)).status_code == 403
    response = Client().post(edit_url(lead), form_data(lead, first_name="Mallory"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    lead.contact.refresh_from_db()
    assert lead.contact.first_name != "Mallory"


def test_the_edit_form_needs_its_csrf_token(users):
    lead = LeadFactory()
    page = Client(enforce_csrf_checks=True)
    page.force_login(users["csr"])
    assert page.post(edit_url(lead), form_data(lead, first_name="Mallory")).status_code == 403


# --- Saving -------------------------------------------------------------------------------------


def test_saving_writes_the_contact_and_the_lead_and_goes_back_to_the_lead_page(csr):
    lead = LeadFactory(contact=ContactFactory(do_not_contact=False))

    response = csr.post(
        edit_url(lead),
        form_data(
            lead,
            first_name=" Dana ",
            last_name="Whitaker",
            email="Dana.Whitaker@Example.COM ",
            phone="(555) 010-0042",
            company="Harbor Logistics",
            title="Owner",
            persona="Homeowner",
            mailing_address="12 Elm St",
            consent="on",
            do_not_contact="on",
            inquiry_reason="Saw the spring letter",
            desired_outcome="Lower bills",
            estimated_value="6400",
        ),
        follow=True,
    )

    assert response.redirect_chain == [(f"/leads/{lead.pk}/", 302)]
    assert "Saved." in response.content.decode()
    contact = Contact.objects.select_related("company").get(pk=lead.contact_id)
    assert (contact.first_name, contact.last_name, contact.title, contact.persona) == (
        "Dana",
        "Whitaker",
        "Owner",
        "Homeowner",
    )
    assert (contact.email, contact.phone) == ("dana.whitaker@example.com", "+15550100042")
    assert contact.company.name == "Harbor Logistics"
    assert (contact.mailing_address, contact.consent, contact.do_not_contact) == ("12 Elm St", True, True)
    lead.refresh_from_db()
    assert (lead.inquiry_reason, lead.desired_outcome, lead.estimated_value) == (
        "Saw the spring letter",
        "Lower bills",
        Decimal("6400.00"),
    )


def test_an_edit_leaves_stage_score_owner_and_history_alone(users, csr):
    lead = sales_ready_lead(owner=users["sales"])
    before = (lead.stage, lead.score, lead.temperature, lead.owner)
    history = (StageChange.objects.filter(lead=lead).count(), ScoreChange.objects.filter(lead=lead).count())

    csr.post(edit_url(lead), form_data(lead, title="CFO", estimated_value="100", desired_outcome="Faster"))

    lead.refresh_from_db()
    assert (lead.stage, lead.score, lead.temperature, lead.owner) == before
    assert (StageChange.objects.filter(lead=lead).count(), ScoreChange.objects.filter(lead=lead).count()) == history


def test_recording_the_missing_facts_makes_a_qualifying_inquiry_sales_ready_as_the_api_does(users, csr, api_as):
    by_page = hot_lead(inquiry_reason="Furnace died")  # 70, but the result they want is not recorded
    by_api = hot_lead(inquiry_reason="Furnace died")

    response = csr.post(edit_url(by_page), form_data(by_page, desired_outcome="Heat by Friday"), follow=True)
    api_as(users["csr"]).patch(f"/api/v1/leads/{by_api.pk}/", {"desired_outcome": "Heat by Friday"}, format="json")

    assert "the lead is sales-ready" in response.content.decode()
    for lead in (by_page, by_api):
        lead.refresh_from_db()
        assert lead.stage == Stage.SALES_READY and lead.sales_ready_at is not None
        change = StageChange.objects.get(lead=lead, to_stage=Stage.SALES_READY)
        assert (change.from_stage, change.changed_by, change.reason) == (
            Stage.INQUIRY,
            users["csr"],
            "Meets the rules of engagement",
        )


def test_a_lead_below_the_threshold_stays_an_inquiry_when_its_facts_are_recorded(csr):
    lead = lead_after({"timeline": "this_month"})  # 20

    csr.post(edit_url(lead), form_data(lead, inquiry_reason="x", desired_outcome="y"))

    lead.refresh_from_db()
    assert lead.stage == Stage.INQUIRY and not StageChange.objects.filter(lead=lead).exists()


def test_saving_an_unchanged_form_writes_nothing(csr):
    lead = hot_lead(inquiry_reason="x")  # 70, the result they want not recorded
    before = Contact.objects.get(pk=lead.contact_id).updated_at

    response = csr.post(edit_url(lead), form_data(lead), follow=True)

    assert "Nothing to save" in response.content.decode()
    assert Contact.objects.get(pk=lead.contact_id).updated_at == before
    lead.refresh_from_db()
    assert lead.stage == Stage.INQUIRY  # the API's empty PATCH does not promote either


def test_a_company_name_in_another_case_links_the_existing_company_and_blank_unlinks(csr):
    harbor = CompanyFactory(name="Harbor Logistics")
    lead = LeadFactory()

    csr.post(edit_url(lead), form_data(lead, company="HARBOR logistics"))
    lead.contact.refresh_from_db()
    assert lead.contact.company == harbor and Company.objects.filter(name__iexact="harbor logistics").count() == 1

    csr.post(edit_url(lead), form_data(lead, company=""))
    lead.contact.refresh_from_db()
    assert lead.contact.company is None


def test_unticking_do_not_contact_and_consent_clears_them(csr):
    lead = LeadFactory(contact=ContactFactory(consent=True, do_not_contact=True))

    data = form_data(lead)
    del data["consent"], data["do_not_contact"]
    csr.post(edit_url(lead), data)

    lead.contact.refresh_from_db()
    assert (lead.contact.consent, lead.contact.do_not_contact) == (False, False)


def test_do_not_contact_keeps_the_lead_out_of_the_next_letter_batch(csr, users):
    from datetime import timedelta

    from django.utils import timezone

    from followups.letters.selectors import eligible_leads
    from followups.models import LetterTemplate

    template = LetterTemplate.objects.create(name="Unclosed", subject="Still thinking?", body="Dear {first_name}")
    lead = closed_lead(Stage.UNCLOSED, by=users["sales"])
    Lead.objects.filter(pk=lead.pk).update(closed_at=timezone.now() - timedelta(days=40))  # closed 40 days ago
    assert lead in eligible_leads(template, unclosed_days=30, at=timezone.now())

    csr.post(edit_url(lead), form_data(lead, do_not_contact="on"))

    assert lead not in eligible_leads(template, unclosed_days=30, at=timezone.now())


# --- Refusals: beside the field, and nothing written ---------------------------------------------


def refused(response, field: str, message: str) -> None:
    assert response.status_code == 400
    html = response.content.decode()
    assert f'<div class="error" id="id_{field}_error"><p>{message}</p></div>' in html
    assert "Not saved: please correct the errors below." in html


def test_an_email_another_contact_has_is_a_field_error_and_nothing_is_saved(csr):
    ContactFactory(email="taken@example.com")
    lead = LeadFactory(contact=ContactFactory(first_name="Dana"))

    response = csr.post(
        edit_url(lead), form_data(lead, email=" TAKEN@example.com", first_name="Changed", desired_outcome="z")
    )

    refused(response, "email", "Another contact already has this e-mail address.")
    lead.refresh_from_db()
    lead.contact.refresh_from_db()
    assert (lead.contact.first_name, lead.contact.email, lead.desired_outcome) == ("Dana", lead.contact.email, "")
    assert lead.contact.email != "taken@example.com"


def test_a_phone_another_contact_has_in_another_format_is_a_field_error(csr):
    ContactFactory(phone="+15550100042")
    lead = LeadFactory()
    before = lead.contact.phone

    response = csr.post(edit_url(lead), form_data(lead, phone="555.010.0042"))

    refused(response, "phone", "Another contact already has this phone number.")
    lead.contact.refresh_from_db()
    assert lead.contact.phone == before


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("phone", "12", "Enter a valid phone number."),
        ("email", "not-an-address", "Enter a valid email address."),
        ("estimated_value", "-5", "Ensure this value is greater than or equal to 0."),
        ("estimated_value", "lots", "Enter a number."),
        ("first_name", "x" * 101, "Ensure this value has at most 100 characters (it has 101)."),
    ],
)
def test_bad_input_is_a_field_error_and_changes_nothing(csr, field, value, message):
    lead = LeadFactory(contact=ContactFactory(title="Before"))

    response = csr.post(edit_url(lead), form_data(lead, **{field: value, "title": "After"}))

    refused(response, field, message)
    assert 'aria-invalid="true"' in response.content.decode()
    lead.contact.refresh_from_db()
    assert lead.contact.title == "Before"


def test_a_contact_cannot_lose_every_way_to_know_them(csr):
    lead = LeadFactory()

    response = csr.post(edit_url(lead), form_data(lead, first_name="", last_name="", email="", phone=""))

    refused(response, "last_name", "Keep a name, an e-mail address or a phone number.")
    assert Contact.objects.get(pk=lead.contact_id).email == lead.contact.email


def test_keeping_ones_own_email_and_phone_is_no_clash(csr):
    lead = LeadFactory(contact=ContactFactory(email="dana@example.com", phone="+15550100042"))

    response = csr.post(edit_url(lead), form_data(lead, email="DANA@example.com", phone="(555) 010-0042", title="CFO"))

    assert response.status_code == 302
    lead.contact.refresh_from_db()
    assert lead.contact.title == "CFO"


def test_editing_the_contact_of_one_lead_shows_on_its_other_leads(csr, users):
    contact = ContactFactory(title="Before")
    first, second = LeadFactory(contact=contact), won_lead("900", by=users["sales"], contact=contact)

    csr.post(edit_url(first), form_data(first, title="After"))

    assert Lead.objects.get(pk=second.pk).contact.title == "After"


# --- The service --------------------------------------------------------------------------------


def test_update_contact_refuses_fields_it_does_not_edit():
    contact = ContactFactory()
    with pytest.raises(ValidationError) as refusal:
        update_contact(contact_id=contact.pk, created_at=None)
    assert "created_at" in refusal.value.message_dict


def test_update_contact_reports_every_bad_field_at_once():
    contact = ContactFactory()
    with pytest.raises(ValidationError) as refusal:
        update_contact(contact_id=contact.pk, email="nope", phone="12")
    assert set(refusal.value.message_dict) == {"email", "phone"}


def test_an_erased_contact_cannot_be_edited_back(users):
    from django.utils import timezone

    lead = LeadFactory()
    Contact.objects.filter(pk=lead.contact_id).update(erased_at=timezone.now())
    page = client_for(users["manager"])
    assert page.get(edit_url(lead)).status_code == 403
    assert "/edit/" not in page.get(f"/leads/{lead.pk}/").content.decode()
    with pytest.raises(ValidationError):
        update_contact(contact_id=lead.contact_id, first_name="Ada")


def test_a_corrected_title_rescores_the_contacts_open_leads_and_may_make_one_sales_ready(users, csr):
    """Profile-fit points read the contact's title: correcting it to a decision maker's moves
    the score at once (55 + 5), as the company page's edit does, and the inquiry that now
    qualifies becomes sales-ready, with the reason in the score history."""
    lead = lead_after("call_inbound", {"decision_maker": "shared"}, **FACTS)  # 50 + 5: an inquiry
    assert (lead.score, lead.stage) == (55, Stage.INQUIRY)

    response = csr.post(edit_url(lead), form_data(lead, title="Owner"), follow=True)

    assert "the lead is sales-ready" in response.content.decode()
    lead.refresh_from_db()
    assert (lead.score, lead.stage) == (60, Stage.SALES_READY)
    assert ScoreChange.objects.filter(lead=lead).latest("id").reason == "Contact profile changed: title"
    promotion = StageChange.objects.get(lead=lead, to_stage=Stage.SALES_READY)
    assert promotion.changed_by == users["csr"]  # the one who corrected the title, not "the rules"
