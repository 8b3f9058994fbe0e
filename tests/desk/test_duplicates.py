"""The duplicate contacts page and the merge's review (desk/duplicates.py), for managers: the
groups found, what the merge will do, the merge done once, and refusals said in words."""

import pytest
from django.utils.html import escape

from crm.models import Company, Contact
from data_rights.services import erase_contact
from leads.models import ContactMerge, Lead
from tests.factories import ContactFactory, lead_after, signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    harbor = Company.objects.create(name="Harbor Logistics")
    kept = ContactFactory(first_name="Ann", last_name="Lee", company=harbor, phone="", email="ann@harbor.example")
    merged = ContactFactory(
        first_name="Ann", last_name="Lee", company=harbor, phone="+16175550142", email="ann.lee@gmail.com"
    )
    return kept, merged, lead_after("call_inbound", contact=kept), lead_after("form", contact=merged)


@pytest.mark.parametrize("role", ["csr", "sales", "marketing"])
def test_only_managers_open_the_pages(users, role):
    client = signed_in_client(users[role])
    assert client.get("/contacts/duplicates/").status_code == 403
    assert client.get("/contacts/merge/?keep=1&merge=2").status_code == 403


def test_the_page_lists_each_group_with_its_records_and_leads(pair, users):
    kept, merged, kept_lead, merged_lead = pair

    html = signed_in_client(users["manager"]).get("/contacts/duplicates/").content.decode()

    assert "Ann Lee at Harbor Logistics" in html and "(2 records)" in html
    assert f'data-contact="{kept.pk}"' in html and f'data-contact="{merged.pk}"' in html
    assert f'href="/leads/{merged_lead.pk}/"' in html
    assert f'value="{kept.pk}" aria-label="Keep #{kept.pk} Ann Lee" checked' in html
    by_email = signed_in_client(users["manager"]).get("/contacts/duplicates/?by=email").content.decode()
    assert "No likely duplicates by similar e-mail." in by_email  # ann and annlee are not the same address


def test_a_contacts_own_duplicates_from_its_lead_page(pair, users):
    kept, merged, kept_lead, _ = pair
    client = signed_in_client(users["manager"])

    lead_page = client.get(f"/leads/{kept_lead.pk}/").content.decode()
    html = client.get(f"/contacts/duplicates/?contact={kept.pk}").content.decode()

    assert f'href="/contacts/duplicates/?contact={kept.pk}"' in lead_page
    assert "Records that may be Ann Lee again" in html and f'data-contact="{merged.pk}"' in html


def test_the_review_shows_what_will_change_and_changes_nothing(pair, users):
    kept, merged, kept_lead, merged_lead = pair

    response = signed_in_client(users["manager"]).get(f"/contacts/merge/?keep={kept.pk}&merge={merged.pk}&by=name")

    html = response.content.decode()
    assert response.status_code == 200
    assert f"Merge #{merged.pk} into #{kept.pk} Ann Lee?" in html
    assert f"<strong>(617) 555-0142</strong> (from #{merged.pk})" in html  # a blank phone filled
    assert f"Lead #{merged_lead.pk}</a>" in html and f"<strong>moves to #{kept.pk}</strong>" in html
    assert Contact.objects.filter(pk=merged.pk).exists()


def test_merging_from_the_page_happens_once_and_goes_back_to_the_duplicates(pair, users):
    kept, merged, _, merged_lead = pair
    client = signed_in_client(users["manager"])
    form = {"keep": kept.pk, "merge": merged.pk, "by": "name", "page": "1", "submission": "merge-token-1"}

    first = client.post("/contacts/merge/", form, follow=True)
    second = client.post("/contacts/merge/", form, follow=True)

    assert first.redirect_chain == [("/contacts/duplicates/?by=name", 302)]
    assert escape(f"Merged #{merged.pk} Ann Lee into #{kept.pk} Ann Lee: 1 lead moved, phone filled in.") in (
        first.content.decode()
    )
    assert "Already merged: the form arrived twice and merged once." in second.content.decode()
    assert ContactMerge.objects.count() == 1
    assert Lead.objects.get(pk=merged_lead.pk).contact_id == kept.pk


def test_refusals_are_said_on_the_page(pair, users):
    kept, merged, *_ = pair
    client = signed_in_client(users["manager"])

    itself = client.get(f"/contacts/merge/?keep={kept.pk}&merge={kept.pk}")
    unchosen = client.get("/contacts/merge/?keep=")
    erase_contact(contact_id=merged.pk, by=users["manager"])
    erased = client.post("/contacts/merge/", {"keep": kept.pk, "merge": merged.pk})

    assert itself.status_code == 400 and "cannot be merged into itself" in itself.content.decode()
    assert unchosen.status_code == 400 and "Choose the record to keep" in unchosen.content.decode()
    assert erased.status_code == 409 and "It cannot be merged." in erased.content.decode()
    assert not ContactMerge.objects.exists()
