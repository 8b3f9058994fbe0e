"""A merged duplicate was the same person: the kept contact's export and erasure cover the merge's
audit row (its name, e-mail and phone), the e-mails sent to the merged address, and suppress that
address and phone as the contact's own."""

import pytest

from crm.models import Company
from crm.suppression import suppressed
from data_rights.selectors import export_contact
from data_rights.services import erase_contact
from leads.merging import merge_contacts
from leads.models import ContactMerge
from outbox.models import Email
from outbox.services import Message, queue_emails
from tests.factories import ContactFactory, lead_after

pytestmark = pytest.mark.django_db


@pytest.fixture
def merged_contact(users):
    harbor = Company.objects.create(name="Harbor Logistics")
    kept = ContactFactory(first_name="Ann", last_name="Lee", company=harbor, email="ann@harbor.example")
    other = ContactFactory(first_name="Ann", last_name="Lee", company=harbor, email="ann.lee@gmail.com")
    lead_after("form", contact=other)
    queue_emails([Message(key="briefing-like:1", to="ann.lee@gmail.com", subject="Hello", text="Hi Ann")])
    merge_contacts(keep_id=kept.pk, merge_id=other.pk, by=users["manager"])
    return kept, other


def test_the_export_has_the_merge_and_the_e_mails_to_the_merged_address(merged_contact):
    kept, other = merged_contact

    document = export_contact(kept)

    assert [(row["merged_contact_id"], row["merged_email"]) for row in document["merges"]] == [
        (other.pk, "ann.lee@gmail.com")
    ]
    assert [row["to_address"] for row in document["emails"]] == ["ann.lee@gmail.com"]


def test_erasure_blanks_the_merged_record_and_suppresses_its_address_and_phone(merged_contact, users):
    kept, other = merged_contact

    erase_contact(contact_id=kept.pk, by=users["manager"])

    record = ContactMerge.objects.get()
    assert (record.merged_name, record.merged_email, record.merged_phone) == ("", "", "")
    assert record.merged_contact_id == other.pk and record.kept_id == kept.pk  # who merged which ids stays
    assert ("email", "ann.lee@gmail.com") in suppressed(emails=["ann.lee@gmail.com"])
    assert ("phone", other.phone) in suppressed(phones=[other.phone])
    assert not Email.objects.filter(key="briefing-like:1").exists()  # unsent: it never goes
