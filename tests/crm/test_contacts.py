"""Contacts: normalized e-mail and phone, and never the same person twice."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from crm.models import Contact
from crm.normalize import normalize_email, normalize_phone
from crm.services import find_or_create_contact
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("raw", ["(555) 010-2030", "555.010.2030", "+1 555 010 2030", "1-555-010-2030", "5550102030"])
def test_phone_numbers_in_any_format_normalize_alike(raw):
    assert normalize_phone(raw) == "+15550102030"


def test_foreign_numbers_keep_their_country():
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"


@pytest.mark.parametrize("raw", ["12", "call me", "+1 555"])
def test_impossible_phone_numbers_are_refused(raw):
    with pytest.raises(ValidationError):
        normalize_phone(raw)


def test_email_is_trimmed_and_lower_cased():
    assert normalize_email("  Ann.Lee@Example.COM ") == "ann.lee@example.com"
    with pytest.raises(ValidationError):
        normalize_email("ann@")


def test_the_database_refuses_a_second_contact_with_the_same_email_or_phone():
    ContactFactory(email="x@example.com", phone="+15550000001")
    with pytest.raises(IntegrityError):
        Contact.objects.create(email="x@example.com", first_name="Dup")


def test_the_database_refuses_a_second_contact_with_the_same_phone():
    ContactFactory(email="y@example.com", phone="+15550000002")
    with pytest.raises(IntegrityError):
        Contact.objects.create(phone="+15550000002", first_name="Dup")


def test_many_contacts_may_have_no_email():
    Contact.objects.create(phone="+15550000003", first_name="A")
    Contact.objects.create(phone="+15550000004", first_name="B")
    assert Contact.objects.filter(email="").count() == 2


def test_email_wins_when_email_and_phone_belong_to_two_people():
    by_email = ContactFactory(email="a@example.com", phone="+15550000005")
    ContactFactory(email="b@example.com", phone="+15550000006")
    contact, created = find_or_create_contact(email="A@example.com", phone="555-000-0006")
    assert (contact, created) == (by_email, False)
    contact.refresh_from_db()
    assert contact.phone == "+15550000005"  # the other person's phone is not stolen


def test_an_existing_contact_gets_blank_fields_filled_not_overwritten():
    existing = ContactFactory(email="c@example.com", first_name="Cara", title="", phone="")
    contact, created = find_or_create_contact(
        email="c@example.com", first_name="Caroline", title="Owner", phone="555 000 0007", company_name="Cara's Cafe"
    )
    contact.refresh_from_db()
    assert not created and contact == existing
    assert (contact.first_name, contact.title, contact.phone, contact.company.name) == (
        "Cara",
        "Owner",
        "+15550000007",
        "Cara's Cafe",
    )


def test_a_contact_needs_an_email_or_phone():
    with pytest.raises(ValidationError):
        find_or_create_contact(first_name="Nobody")
