"""factory_boy factories and small builders for tests.

A lead's score, temperature and stage are what the product makes of its history, so tests never
write them: `LeadFactory` makes a fresh inquiry (or a bought `list` name) with no history, and
the builders below give a lead its history through the services (interactions logged, scores
computed by the engine, stages moved by claims and closes). Under the shipped rules an inbound
call is worth 50 and the scripted answers add or take away points; the builders' docstrings
say what each comes to.
"""

import logging
from datetime import timedelta

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


# What the product derives from a lead's history (its score, temperature, stage moves, owner and
# close), which a lead with no history cannot have: LeadFactory refuses them.
MADE_BY_THE_PRODUCT = frozenset(
    {
        "score",
        "inquiry_score",
        "sales_ready_score",
        "temperature",
        "rules_version",
        "score_computed_at",
        "first_hot_at",
        "hot_since",
        "hot_response_seconds",
        "sales_ready_at",
        "owner",
        "handed_over_at",
        "owner_accepted_at",
        "closed_at",
        "won_amount",
        "sales_cycle_days",
        "lost_reason",
        "upsell_accepted",
    }
)


class LeadFactory(factory.django.DjangoModelFactory):
    """A lead with no history yet: an inquiry (or, with stage=list, a bought name). Anything
    further (a score, sales-ready, an owner, closed) comes from the builders below, and asking
    this factory for it is refused: a written score or stage is a state the product never makes,
    and a test built on one stays green when the product breaks."""

    class Meta:
        model = Lead

    contact = factory.SubFactory(ContactFactory)
    stage = Stage.INQUIRY
    source = Source.WEB_FORM
    inquired_at = factory.LazyAttribute(lambda lead: None if lead.stage == Stage.LIST else timezone.now())

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        written = sorted(name for name in MADE_BY_THE_PRODUCT if kwargs.get(name) not in (None, False))
        if kwargs.get("stage") not in (Stage.LIST, Stage.INQUIRY):
            written.append(f"stage={kwargs.get('stage')}")
        if written:
            raise TypeError(
                f"LeadFactory cannot write {', '.join(written)}: give the lead its history with the builders "
                "in tests/factories.py (lead_after, hot_lead, sales_ready_lead, handed_over_lead, closed_lead)."
            )
        return super()._create(model_class, *args, **kwargs)


FACTS = {"inquiry_reason": "Furnace died", "desired_outcome": "Heat by Friday"}  # what sales-ready requires


def lead_after(*steps, by=None, **fields) -> Lead:
    """A lead whose history is `steps`, each logged through leads.services.log_interaction: an
    interaction kind ("call_inbound", "form", ...) or a dict of scripted answers
    ({"timeline": "this_month"}). Its score, temperature and stage are then the engine's; with
    FACTS among `fields`, a lead that reaches the sales-ready score is promoted."""
    from leads.services import log_interaction

    lead = LeadFactory(**fields)
    for step in steps:
        if isinstance(step, dict):
            answers = [{"question": question, "answer": answer} for question, answer in step.items()]
            log_interaction(lead_id=lead.pk, kind="answers", answers=answers, author=by)
        else:
            log_interaction(lead_id=lead.pk, kind=step, author=by)
    lead.refresh_from_db()
    return lead


def hot_lead(*more, **fields) -> Lead:
    """A caller who buys within a month: 50 + 20 = 70, hot (sales-ready too, given FACTS)."""
    return lead_after("call_inbound", {"timeline": "this_month"}, *more, **fields)


def sales_ready_lead(*more, owner=None, **fields) -> Lead:
    """A caller who decides: 50 + 10 = 60, warm, with FACTS: sales-ready, in the pool; with
    `owner`, claimed by that salesperson (accepted, with its Handover row). `more` steps add
    points (a hot one: {"timeline": "this_month"}, 80)."""
    from sales.services import claim_lead

    lead = lead_after("call_inbound", {"decision_maker": "yes"}, *more, **{**FACTS, **fields})
    assert lead.stage == Stage.SALES_READY, (lead.stage, lead.score)
    if owner is not None:
        claim_lead(lead_id=lead.pk, by=owner)
        lead.refresh_from_db()
    return lead


def handed_over_lead(owner, *, by, **fields) -> Lead:
    """A sales-ready lead `by` (marketing, a manager) handed to `owner`, not yet accepted."""
    from sales.services import handover_lead

    lead = sales_ready_lead(**fields)
    handover_lead(lead_id=lead.pk, owner_id=owner.pk, by=by)
    lead.refresh_from_db()
    return lead


def closer():
    """The salesperson who closes the leads a test needs closed without saying by whom."""
    return get_user_model().objects.filter(username="closer").first() or make_user("closer", "sales")


def closed_lead(
    outcome: str,
    *,
    by=None,
    claim: bool = True,
    amount=None,
    upsell_accepted: bool = False,
    upsell_amount=None,
    reason: str = "",
    cycle_days: int = 0,
    **fields,
) -> Lead:
    """A sales-ready lead `by` (else `closer()`) claimed and closed `outcome` (won with `amount`,
    unclosed or dead with `reason`) through sales.services.close_lead, its follow-ups planned as
    after any close. `claim=False`: a manager closes it straight from the pool, so nobody owns it.
    `cycle_days`: the lead came in that many days before the close (its sales cycle)."""
    from sales.services import close_lead

    by = by or closer()
    lead = sales_ready_lead(owner=by if claim else None, **fields)
    if cycle_days:
        Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(days=cycle_days))
    reason = reason or ("" if outcome == Stage.WON else "Not now")
    close_lead(
        lead_id=lead.pk,
        outcome=outcome,
        by=by,
        amount=amount,
        upsell_accepted=upsell_accepted,
        upsell_amount=upsell_amount,
        reason=reason,
    )
    lead.refresh_from_db()
    return lead


def won_lead(amount, *, by=None, **fields) -> Lead:
    return closed_lead(Stage.WON, by=by, amount=amount, **fields)


def live_offer(code="SPRING25", *, days_left=20, quantity_limit=100, campaign="Spring", placement=True, **fields):
    """A launched offer running now, with its upsell and (by default) one radio placement."""
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
