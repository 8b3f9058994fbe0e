"""POST /api/v1/contacts/merge/ {"keep", "merge"} (CONTRACT "Daily use"): managers only; 200 the
kept contact with every lead, interaction and history of both; 409 when either is erased."""

import pytest

from crm.models import Company, Contact
from data_rights.services import erase_contact
from leads.models import ContactMerge, Lead
from tests.factories import ContactFactory, lead_after, sales_ready_lead

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/merge/"


@pytest.fixture
def pair():
    harbor = Company.objects.create(name="Harbor Logistics")
    kept = ContactFactory(first_name="Ann", last_name="Lee", company=harbor, phone="")
    merged = ContactFactory(first_name="Ann", last_name="Lee", company=harbor, phone="+16175550142", title="Owner")
    return kept, merged, lead_after("call_inbound", contact=kept), sales_ready_lead(contact=merged)


def test_a_manager_merges_and_gets_the_kept_contact_with_every_lead_and_its_history(pair, users, api_as):
    kept, merged, kept_lead, merged_lead = pair

    response = api_as(users["manager"]).post(URL, {"keep": kept.pk, "merge": merged.pk}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["phone"], body["title"], body["company_name"]) == (
        kept.pk,
        "+16175550142",
        "Owner",
        "Harbor Logistics",
    )
    assert [lead["id"] for lead in body["leads"]] == [kept_lead.pk, merged_lead.pk]
    kinds = [[interaction["kind"] for interaction in lead["interactions"]] for lead in body["leads"]]
    assert kinds == [["note", "call_inbound"], ["note", "answers", "call_inbound"]]  # newest first: the merge's note
    assert [change["to_stage"] for change in body["leads"][1]["stage_changes"]] == ["sales_ready"]
    assert all(lead["score_changes"] for lead in body["leads"])
    merge = body["merges"][0]
    assert (merge["merged_contact_id"], merge["merged_by"], merge["leads_moved"]) == (
        merged.pk,
        users["manager"].username,
        [merged_lead.pk],
    )
    assert not Contact.objects.filter(pk=merged.pk).exists()


@pytest.mark.parametrize("role", ["csr", "sales", "marketing", "nobody"])
def test_only_a_manager_may_merge(pair, users, api_as, role):
    kept, merged, *_ = pair
    response = api_as(users[role]).post(URL, {"keep": kept.pk, "merge": merged.pk}, format="json")
    assert response.status_code == 403
    assert Contact.objects.filter(pk=merged.pk).exists()


def test_an_erased_contact_is_a_409_and_nothing_moves(pair, users, api_as):
    kept, merged, _, merged_lead = pair
    erase_contact(contact_id=merged.pk, by=users["manager"])

    response = api_as(users["manager"]).post(URL, {"keep": kept.pk, "merge": merged.pk}, format="json")

    assert response.status_code == 409
    assert "erased on request" in response.json()["detail"]
    assert Lead.objects.get(pk=merged_lead.pk).contact_id == merged.pk and not ContactMerge.objects.exists()


def test_bad_requests(pair, users, api_as):
    kept, merged, *_ = pair
    client = api_as(users["manager"])

    itself = client.post(URL, {"keep": kept.pk, "merge": kept.pk}, format="json")
    missing = client.post(URL, {"keep": kept.pk}, format="json")
    unknown = client.post(URL, {"keep": kept.pk, "merge": 10**9}, format="json")

    assert (itself.status_code, itself.json()) == (
        400,
        {"merge": ["A contact cannot be merged into itself: choose two different contacts."]},
    )
    assert missing.status_code == 400 and "merge" in missing.json()
    assert unknown.status_code == 404
    assert not ContactMerge.objects.exists()


def test_merging_again_says_where_the_contact_went(pair, users, api_as):
    kept, merged, *_ = pair
    client = api_as(users["manager"])
    assert client.post(URL, {"keep": kept.pk, "merge": merged.pk}, format="json").status_code == 200

    again = client.post(URL, {"keep": kept.pk, "merge": merged.pk}, format="json")

    assert again.status_code == 409
    assert again.json() == {"detail": f"Contact #{merged.pk} was already merged into contact #{kept.pk}."}
