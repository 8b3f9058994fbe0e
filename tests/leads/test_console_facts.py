"""The call that learns why the caller called and what they want records it (issue 17, defect 3):
the log form of the console and the lead page asks for both facts, prefilled, saves them with the
call in one transaction (so a call that qualifies the lead makes it sales-ready at once), and
the score panel says what still stands between the lead and sales-ready."""

import re

import pytest
from django.core.exceptions import ValidationError

from leads.kinds import InteractionKind, Stage
from leads.models import Interaction, Lead, StageChange
from leads.services import log_interaction_and_facts
from tests.factories import ContactFactory, lead_after, signed_in_client

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def readiness(html: str) -> str:
    found = re.search(r'data-testid="readiness">([^<]*)<', html)
    return found.group(1) if found else ""


def field_value(html: str, name: str) -> str:
    found = re.search(rf'<textarea name="{name}"[^>]*>\n?([^<]*)</textarea>', html)
    assert found, f"no {name} field"
    return found.group(1)


@pytest.fixture
def caller():
    """A caller the CSR has on the line: an inbound call (50) and why they inquired, but not yet
    the result they want."""
    return lead_after(
        "call_inbound",
        contact=ContactFactory(first_name="Omar", last_name="Haddad"),
        inquiry_reason="The furnace stopped this morning.",
    )


def test_the_console_asks_for_both_facts_prefilled_and_says_what_is_missing(users, caller):
    html = signed_in_client(users["csr"]).get(f"/console/caller/{caller.pk}/").content.decode()
    assert field_value(html, "inquiry_reason") == "The furnace stopped this morning."
    assert field_value(html, "desired_outcome") == ""
    assert readiness(html) == ("Not sales-ready yet: needs a score of at least 60 (now 50), the result they want.")


def test_a_call_with_the_answers_and_the_result_they_want_makes_the_lead_sales_ready_at_once(users, caller):
    client = signed_in_client(users["csr"])
    shown = client.get(f"/console/caller/{caller.pk}/").content.decode()
    body = {
        "kind": InteractionKind.CALL_OUTBOUND,
        "q_timeline": "this_month",
        "inquiry_reason": "The furnace stopped this morning.",
        "initial-inquiry_reason": field_value(shown, "inquiry_reason"),
        "desired_outcome": "Heat back by tonight.",
        "initial-desired_outcome": "",
        "submission": "tok-facts-1",
    }
    response = client.post(f"/leads/{caller.pk}/log/", body, **HTMX)
    html = response.content.decode()
    lead = Lead.objects.get(pk=caller.pk)
    assert (lead.stage, lead.score, lead.desired_outcome) == (Stage.SALES_READY, 75, "Heat back by tonight.")
    assert lead.inquiry_reason == "The furnace stopped this morning."
    promotion = StageChange.objects.get(lead=lead, to_stage=Stage.SALES_READY)
    assert promotion.changed_by == users["csr"] and promotion.reason == "Meets the rules of engagement"
    assert "Outbound call logged. Score 50 → 75. The lead is sales-ready now." in html
    assert readiness(html) == "Sales-ready: in the pool for sales."
    assert 'id="lead-stage" hx-swap-oob="true" data-testid="stage">Sales-ready<' in html
    assert 'id="lead-desired-outcome" hx-swap-oob="true">Heat back by tonight.<' in html
    assert field_value(html, "desired_outcome") == "Heat back by tonight."  # the next call's form shows it
    # The form sent again counts once: one call, the facts as they were.
    client.post(f"/leads/{caller.pk}/log/", body | {"desired_outcome": "Something else"}, **HTMX)
    assert Interaction.objects.filter(lead=lead).count() == 2
    assert Lead.objects.get(pk=lead.pk).desired_outcome == "Heat back by tonight."


def test_a_fact_left_as_shown_does_not_overwrite_what_someone_recorded_meanwhile(users, caller):
    Lead.objects.filter(pk=caller.pk).update(inquiry_reason="Updated by a colleague.")
    body = {
        "kind": InteractionKind.NOTE,
        "note": "Left a message",
        "inquiry_reason": "The furnace stopped this morning.",  # the page still showed the old text
        "initial-inquiry_reason": "The furnace stopped this morning.",
        "desired_outcome": "",
        "initial-desired_outcome": "",
        "submission": "tok-facts-2",
    }
    signed_in_client(users["csr"]).post(f"/leads/{caller.pk}/log/", body, **HTMX)
    assert Lead.objects.get(pk=caller.pk).inquiry_reason == "Updated by a colleague."


def test_a_refused_call_saves_no_fact(users, caller):
    body = {
        "kind": InteractionKind.CALL_INBOUND,
        "offer_code": "NOSUCH",
        "desired_outcome": "Heat back by tonight.",
        "initial-desired_outcome": "",
        "submission": "tok-facts-3",
    }
    html = signed_in_client(users["csr"]).post(f"/leads/{caller.pk}/log/", body, **HTMX).content.decode()
    assert "Nothing was logged" in html
    assert field_value(html, "desired_outcome") == "Heat back by tonight."  # kept in the form to correct
    lead = Lead.objects.get(pk=caller.pk)
    assert (lead.desired_outcome, lead.stage, Interaction.objects.filter(lead=lead).count()) == ("", Stage.INQUIRY, 1)


def test_the_service_saves_both_or_neither(users, caller):
    with pytest.raises(ValidationError):
        log_interaction_and_facts(
            lead_id=caller.pk,
            facts={"desired_outcome": "Heat back by tonight."},
            kind=InteractionKind.ANSWERS,  # scripted answers without an answer are refused
            author=users["csr"],
        )
    assert Lead.objects.get(pk=caller.pk).desired_outcome == ""
    logged = log_interaction_and_facts(
        lead_id=caller.pk,
        facts={"desired_outcome": "Heat back by tonight."},
        kind=InteractionKind.ANSWERS,
        answers=[{"question": "decision_maker", "answer": "yes"}],
        author=users["csr"],
    )
    assert (logged.lead.stage, logged.lead.score) == (Stage.SALES_READY, 60)
    assert Lead.objects.get(pk=caller.pk).stage == Stage.SALES_READY


def test_a_lead_whose_facts_may_not_be_corrected_gets_no_fact_fields_and_none_sneaks_in(users):
    """Who may correct a lead's facts is leads.selectors.may_edit's: nobody, once the contact's
    personal data was erased on request."""
    lead = lead_after("call_inbound", inquiry_reason="Old furnace")
    lead.contact.erased_at = lead.created_at
    lead.contact.save(update_fields=["erased_at"])
    client = signed_in_client(users["csr"])
    html = client.get(f"/leads/{lead.pk}/").content.decode()
    assert 'name="desired_outcome"' not in html
    body = {"kind": InteractionKind.NOTE, "note": "x", "desired_outcome": "Sneaked in", "submission": "tok-facts-4"}
    client.post(f"/leads/{lead.pk}/log/", body, **HTMX)
    assert Lead.objects.get(pk=lead.pk).desired_outcome == ""


def test_the_lead_page_shares_the_form_and_the_readiness_line(users, caller):
    html = signed_in_client(users["csr"]).get(f"/leads/{caller.pk}/").content.decode()
    assert field_value(html, "inquiry_reason") == "The furnace stopped this morning."
    assert readiness(html).startswith("Not sales-ready yet: needs a score of at least 60")
    assert 'id="lead-desired-outcome">Not recorded yet.<' in html
