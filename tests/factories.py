"""factory_boy factories and small builders for tests."""

import logging

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from crm.models import Company, Contact
from leads.kinds import Source, Stage
from leads.models import Lead

DEMO_PASSWORD = "test-pass-123"


def make_user(username: str, role: str | None, password: str = DEMO_PASSWORD):
    from crm.services import create_staff_user

    if role is None:
        return get_user_model().objects.create_user(username=username, password=password)
    return create_staff_user(username=username, role=role, password=password)


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n}")
    industry_code = "238220"
    size_band = "10-49"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    phone = factory.Sequence(lambda n: f"+1555{n:07d}")


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    contact = factory.SubFactory(ContactFactory)
    stage = Stage.INQUIRY
    source = Source.WEB_FORM
    sales_ready_at = factory.LazyAttribute(lambda lead: timezone.now() if lead.stage == Stage.SALES_READY else None)
    inquired_at = factory.LazyAttribute(lambda lead: None if lead.stage == Stage.LIST else timezone.now())


def live_offer(code="SPRING25", *, days_left=20, quantity_limit=100, campaign="Spring", placement=True, **fields):
    """A launched offer running now, with its upsell and (by default) one radio placement."""
    from datetime import timedelta

    from campaigns.models import Campaign, Offer, Placement

    now = timezone.now()
    offer = Offer.objects.create(
        campaign=Campaign.objects.get_or_create(name=campaign)[0],
        code=code,
        headline=f"{code} deal",
        starts_at=now - timedelta(days=1),
        deadline=now + timedelta(days=days_left),
        quantity_limit=quantity_limit,
        upsell_product="Maintenance plan",
        upsell_pitch="Two visits a year",
        **{"launched_at": now, **fields},
    )
    if placement:
        Placement.objects.create(
            offer=offer,
            channel="radio",
            outlet="KXYZ",
            starts_on=now.date(),
            ends_on=(now + timedelta(days=days_left)).date(),
            cost=100,
        )
    return offer


def client_for(user):
    """A Django test client signed in as `user` without a password check (force_login)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def signed_in_client(user):
    """A Django test client logged in as `user` (made with DEMO_PASSWORD)."""
    from django.test import Client

    client = Client()
    assert client.login(username=user.username, password=DEMO_PASSWORD)
    return client


class LogRecords(logging.Handler):
    """Keeps the records a logger emits, for a test to read: attach it to the logger itself."""

    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)
