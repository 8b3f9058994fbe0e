"""One way in: the same arrival through every door (a web form, the console's new caller, a
customer's referral) comes to the same contact, lead, stage history, score and timeline; the
door only says what kind of interaction it was."""

import pytest

from crm.models import Contact
from followups.models import FollowUp
from leads import intake
from leads.capture import capture_submission, create_form_key
from leads.models import Handover, Interaction, Lead
from leads.scores import explain
from leads.services import log_interaction, update_lead
from sales import services as sales
from tests.factories import LeadFactory, client_for

pytestmark = pytest.mark.django_db

PAT = {"first_name": "Pat", "last_name": "Quinn", "email": "pat@example.com", "phone": "+1 617 555 0142"}


def customer_followup(users) -> FollowUp:
    """A won customer's after-sale follow-up call, in the CSR pool: where referrals are taken."""
    lead = earlier_arrival(email="dana@example.com")
    update_lead(lead, desired_outcome="Heat by Friday")
    log_interaction(lead_id=lead.pk, kind="call_inbound")  # now sales-ready: claimed by a salesperson
    sales.claim_lead(lead_id=lead.pk, by=users["sales"])
    sales.close_lead(lead_id=lead.pk, outcome="won", amount="1000", by=users["sales"])
    return FollowUp.objects.filter(lead=lead).order_by("due_at").first()


def earlier_arrival(**person) -> Lead:
    """Someone who came in before, by a web form (through the services, as every lead does)."""
    key, _ = create_form_key(name=f"earlier {person['email']}")
    capture_submission(form_key=key, data={"first_name": "Earlier", **person, "message": "Heating"})
    return Lead.objects.get(contact__email=person["email"])


def through_web_form(users, form_key, person) -> None:
    _, raw = form_key
    body = {**person, "message": "My boiler broke"}
    answer = client_for(users["nobody"]).post("/api/v1/capture/", body, HTTP_X_FORM_KEY=raw)
    assert answer.status_code in (200, 201), answer.content


def through_the_console(users, form_key, person) -> None:
    body = {**person, "company": "", "offer_code": "", "note": "My boiler broke"}
    answer = client_for(users["csr"]).post("/console/new-caller/", body)
    assert answer.status_code == 302, answer.content


def through_a_referral(users, form_key, person, followup=None) -> None:
    followup = followup or customer_followup(users)
    answer = client_for(users["csr"]).post(
        f"/followups/{followup.pk}/complete/",
        {"note": "Happy", **{f"referral-0-{key}": value for key, value in person.items()}},
    )
    assert answer.status_code == 302, answer.content


DOORS = {
    "web form": (through_web_form, "form"),
    "console new caller": (through_the_console, "call_inbound"),
    "referral": (through_a_referral, "referral"),
}


def snapshot(lead: Lead) -> dict:
    """What a user sees of the lead, with the door's own interaction kind taken out."""
    lead.refresh_from_db()
    return {
        "contacts": Contact.objects.filter(email="pat@example.com").count(),
        "leads of the contact": Lead.objects.filter(contact=lead.contact).count(),
        "stages": list(lead.stage_changes.values_list("from_stage", "to_stage")),
        "stage": lead.stage,
        "score is the engine's": lead.score == explain(lead).total,
        "interactions": Interaction.objects.filter(lead=lead).count(),
    }


@pytest.mark.parametrize("door", DOORS)
def test_a_new_person_becomes_one_contact_and_one_scored_inquiry_whatever_the_door(door, users, form_key):
    arrive, kind = DOORS[door]
    followup = customer_followup(users) if door == "referral" else None
    arrive(users, form_key, PAT, *([followup] if followup else []))
    lead = Lead.objects.get(contact__email="pat@example.com")
    assert snapshot(lead) == {
        "contacts": 1,
        "leads of the contact": 1,
        "stages": [("", "inquiry")],
        "stage": "inquiry",
        "score is the engine's": True,
        "interactions": 1,
    }
    assert lead.interactions.get().kind == kind
    assert lead.contact.phone == "+16175550142"


@pytest.mark.parametrize("door", DOORS)
def test_a_known_person_joins_their_open_lead_whatever_the_door(door, users, form_key):
    arrive, kind = DOORS[door]
    followup = customer_followup(users) if door == "referral" else None
    first = earlier_arrival(email="pat@example.com", phone="+16175550142")
    before = first.interactions.filter(kind=kind).count()
    arrive(users, form_key, PAT, *([followup] if followup else []))
    assert snapshot(first) == {
        "contacts": 1,
        "leads of the contact": 1,
        "stages": [("", "inquiry")],
        "stage": "inquiry",
        "score is the engine's": True,
        "interactions": 2,
    }
    assert first.interactions.filter(kind=kind).count() == before + 1


RESPONDING_DOORS = ["web form", "console new caller"]


@pytest.mark.parametrize("door", RESPONDING_DOORS)
def test_an_unclosed_prospect_who_responds_is_an_inquiry_again_whatever_the_door(door, users, form_key):
    """A web form and a phone call are both responses: one rule for both (before, a caller
    stayed unclosed while a form filler became an inquiry)."""
    arrive, kind = DOORS[door]
    lead = earlier_arrival(email="pat@example.com")
    sales.close_lead(lead_id=lead.pk, outcome="unclosed", reason="Thinking it over", by=users["manager"])
    arrive(users, form_key, PAT)
    lead.refresh_from_db()
    assert lead.stage == "inquiry"
    assert list(lead.stage_changes.values_list("to_stage", flat=True)) == ["inquiry", "unclosed", "inquiry"]
    assert lead.stage_changes.last().reason == f"Responded: {Interaction(kind=kind).get_kind_display()}"
    assert Lead.objects.filter(contact=lead.contact).count() == 1


def test_a_salesperson_taking_their_customers_referral_owns_it_with_a_handover_row(users):
    """The timeline can say how the lead was taken: a Handover row of kind referral."""
    followup = customer_followup(users)
    done = client_for(users["sales"]).post(
        f"/followups/{followup.pk}/complete/",
        {"note": "Happy", **{f"referral-0-{key}": value for key, value in PAT.items()}},
    )
    assert done.status_code == 302
    lead = Lead.objects.get(contact__email="pat@example.com")
    assert lead.owner == users["sales"] and lead.owner_accepted_at is not None
    handover = Handover.objects.get(lead=lead)
    assert (handover.kind, handover.to_user, handover.accepted_at) == ("referral", users["sales"], lead.handed_over_at)
    page = client_for(users["sales"]).get(f"/leads/{lead.pk}/").content.decode()
    assert "Took the referral" in page


def test_an_arrival_with_a_letter_code_counts_the_letters_response_once(users, form_key):
    """The code is resolved once, and the letter counted once, whichever door it came through."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from followups.models import Letter

    code = intake.codes.resolve("")
    assert code is intake.codes.NO_CODE
    letter = _a_letter(users)
    with CaptureQueriesContext(connection) as queries:
        found = intake.codes.resolve(letter.code.lower())
    assert found.letter.pk == letter.pk and found.offer is None and found.problem == ""
    letter_reads = [q for q in queries.captured_queries if '"followups_letter"' in q["sql"]]
    assert len(letter_reads) == 1
    through_web_form(users, form_key, {**PAT, "offer_code": letter.code})
    letter.refresh_from_db()
    assert letter.responded_at is not None
    lead = Lead.objects.get(contact__email="pat@example.com")
    assert lead.offer_code == letter.code and lead.offer_code_problem == ""
    assert lead.interactions.get().metadata["letter_code"] == letter.code
    assert Letter.objects.filter(responded_at__isnull=False).count() == 1


def _a_letter(users):
    from django.utils import timezone

    from followups.models import Letter, LetterBatch, LetterTemplate

    template = LetterTemplate.objects.create(name="Come back", subject="Hello", body="Dear {{ first_name }}")
    batch = LetterBatch.objects.create(template=template, unclosed_days=30, selected_at=timezone.now())
    lead = LeadFactory()
    return Letter.objects.create(
        batch=batch, lead=lead, template=template, code="ABCD2345", status="sent", sent_at=timezone.now()
    )


def test_an_unknown_code_is_kept_and_flagged_from_a_form_but_refused_from_the_console(users, form_key):
    through_web_form(users, form_key, {**PAT, "offer_code": "NOPE99"})
    lead = Lead.objects.get(contact__email="pat@example.com")
    assert (lead.offer_code, lead.offer_code_problem) == ("NOPE99", "unknown")
    refused = client_for(users["csr"]).post(
        "/console/new-caller/",
        {"first_name": "Sam", "last_name": "Lee", "email": "sam@example.com", "offer_code": "NOPE99", "note": "hi"},
        HTTP_HX_REQUEST="true",
    )
    assert "No offer or letter has the code" in refused.content.decode()
    assert not Contact.objects.filter(email="sam@example.com").exists()
