"""Finding likely duplicate contacts (crm.selectors.duplicate_groups, duplicates_of): one group
per shared key, erased contacts and shared mailboxes left out, a bounded page in a fixed number of
queries whatever the size of the book."""

import pytest

from crm import selectors
from crm.models import Company, Contact
from crm.selectors import duplicate_groups, duplicates_of
from data_rights.services import erase_contact
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def harbor():
    return Company.objects.create(name="Harbor Logistics")


def members(page):
    return [[contact.pk for contact in group.members] for group in page.groups]


def test_the_same_name_at_the_same_company_in_any_case(harbor):
    ann = ContactFactory(first_name="Ann", last_name="Lee", company=harbor)
    again = ContactFactory(first_name="ANN", last_name="lee", company=harbor)
    ContactFactory(first_name="Ann", last_name="Lee", company=Company.objects.create(name="Elsewhere"))
    ContactFactory(first_name="Ann", last_name="Lee", company=None)  # no company: too common a name to tell

    page = duplicate_groups("name")

    assert members(page) == [[ann.pk, again.pk]]
    assert page.groups[0].key == ("LEE", "ANN", harbor.pk) and page.groups[0].size == 2


def test_the_same_address_before_the_at_with_dots_and_plus_tags_ignored():
    ann = ContactFactory(email="ann.lee+crm@gmail.com")
    work = ContactFactory(email="annlee@harbor.example")
    ContactFactory(email="ann.leeds@gmail.com")
    ContactFactory(email="info@harbor.example")  # shared mailboxes are not a person
    ContactFactory(email="info@another.example")

    page = duplicate_groups("email")

    assert members(page) == [[ann.pk, work.pk]]
    assert Contact.objects.get(pk=ann.pk).email_local == "annlee"


def test_the_same_last_seven_phone_digits():
    boston = ContactFactory(phone="+16175550142")
    typo = ContactFactory(phone="+15085550142")
    ContactFactory(phone="+16175550143")

    assert members(duplicate_groups("phone")) == [[boston.pk, typo.pk]]


def test_an_erased_contact_is_never_a_duplicate(harbor, users):
    ann = ContactFactory(first_name="Ann", last_name="Lee", company=harbor, email="ann@harbor.example")
    ContactFactory(first_name="Ann", last_name="Lee", company=harbor, email="ann@gmail.com")
    erase_contact(contact_id=ann.pk, by=users["manager"])

    assert duplicate_groups("name").groups == [] and duplicate_groups("email").groups == []


def test_a_page_holds_a_bounded_number_of_groups_in_two_queries(harbor, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(selectors, "GROUPS_PER_PAGE", 3)
    monkeypatch.setattr(selectors, "MEMBERS_SHOWN", 2)
    for name in ("Ames", "Baker", "Cole", "Diaz"):
        for _ in range(3):
            ContactFactory(first_name="Pat", last_name=name, company=harbor)

    with django_assert_num_queries(2):
        first = duplicate_groups("name")
        [group.members for group in first.groups]
    second = duplicate_groups("name", page=2)

    assert [group.key[0] for group in first.groups] == ["AMES", "BAKER", "COLE"] and first.has_next
    assert [(group.size, len(group.members), group.more) for group in first.groups] == [(3, 2, 1)] * 3
    assert [group.key[0] for group in second.groups] == ["DIAZ"] and not second.has_next


def test_the_duplicates_of_one_contact_by_each_signal_it_shares(harbor):
    ann = ContactFactory(first_name="Ann", last_name="Lee", company=harbor, email="ann@harbor.example", phone="")
    same_name = ContactFactory(first_name="Ann", last_name="Lee", company=harbor, email="a.lee@gmail.com")
    same_address = ContactFactory(first_name="A", last_name="L", email="ann+news@gmail.com")
    ContactFactory(first_name="Bob", last_name="Lee", company=harbor)

    groups = duplicates_of(ann)

    assert [(group.signal, [c.pk for c in group.members]) for group in groups] == [
        ("name", [ann.pk, same_name.pk]),
        ("email", [ann.pk, same_address.pk]),
    ]
    assert duplicates_of(ContactFactory(first_name="Zed", last_name="Nobody")) == []
