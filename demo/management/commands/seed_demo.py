"""Demo users for each role and a small book of leads, built through the real services (idempotent).

Every lead arrives through the intake (a web form through leads.capture, a call through
leads.intake), every interaction is logged through leads.services.log_interaction, facts through
update_lead, claims and closes through sales.services, follow-ups through followups.services:
nothing here writes a score, a temperature or a stage. Each step of a lead's story runs inside
demo.history.happened_at(the day it happened), which dates what the services wrote back to that
day; the daily decay then brings every score to today, so the lead list, the queue and the lead
page all show the engine's number (`manage.py check_scores` proves it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from itertools import groupby
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from campaigns.services import launch_offer, save_campaign, save_offer
from crm.models import Company
from crm.services import create_staff_user, update_contact
from demo import engagement, nurture
from demo.history import happened_at
from followups.models import FollowUp, FollowUpStatus, LetterTemplate
from followups.services import complete, mark_due, schedule_callback
from leads import codes, intake
from leads.capture import capture_submission
from leads.kinds import InteractionKind, Source, Stage
from leads.models import FormKey, Lead, hash_form_key
from leads.rescore import apply_decay
from leads.services import log_interaction, update_lead
from sales.services import claim_lead, close_lead, handover_lead

DEMO_PASSWORD = "demo-pass-2026"
DEMO_USERS = [
    ("csr", "csr"),
    ("sales", "sales"),
    ("sales2", "sales"),
    ("marketing", "marketing"),
    ("manager", "manager"),
]
DEMO_FORM_KEY = "wf_demo_local_only_do_not_use_in_production"
OFFER_CODE = "SPRING25"

COMPANIES = [
    ("Northside Plumbing & Heating", "238220", "10-49", "Springfield", "IL"),
    ("Maple Street Dental", "621210", "1-9", "Columbus", "OH"),
    ("Harbor Logistics", "488510", "50-249", "Tacoma", "WA"),
    ("Evergreen Property Management", "531311", "10-49", "Portland", "OR"),
    ("Bright Path Schools", "611110", "250-999", "Austin", "TX"),
]


# --- The steps of a lead's story ----------------------------------------------------------------
# `days` is how long ago the step happened; a lead's steps run oldest first.


@dataclass(frozen=True)
class Form:
    """Arrives through the demo website's form (leads.capture)."""

    days: float
    message: str
    offer_code: str = ""
    utm: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """Calls in, taken by the CSR (leads.intake); `source` letter: they quote the letter."""

    days: float
    note: str
    offer_code: str = ""
    source: str = Source.PHONE


@dataclass(frozen=True)
class Log:
    """An interaction logged on the lead (leads.services.log_interaction) by `by` (a username)."""

    days: float
    kind: str
    by: str | None = None
    answers: dict = field(default_factory=dict)
    note: str = ""
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Learn:
    """`by` records a fact on the lead (leads.services.update_lead), which may make it sales-ready."""

    days: float
    by: str
    desired_outcome: str


@dataclass(frozen=True)
class Claim:
    days: float
    by: str


@dataclass(frozen=True)
class Close:
    days: float
    by: str
    outcome: str
    amount: str | None = None
    upsell_accepted: bool = False
    upsell_amount: str | None = None  # the upsell's part of the amount
    reason: str = ""


@dataclass(frozen=True)
class FollowUpCall:
    """`by` makes the call a close planned (followups.services.complete)."""

    days: float
    by: str
    answers: dict
    note: str


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    title: str
    company: int | None  # an index into COMPANIES; None for a homeowner
    story: tuple
    email: str = ""  # first.last@example.com unless given


VISIT_WITHOUT_SALE = {"needs_met": "yes", "more_info": "Wants to see the financing options in writing."}

PEOPLE = [
    Person(
        "Dana",
        "Whitaker",
        "Owner",
        0,
        (
            Call(20, "Saw the spring tune-up letter; furnace is 20 years old and noisy.", offer_code=OFFER_CODE),
            Log(19.99, InteractionKind.ANSWERS, "csr", {"timeline": "this_month", "decision_maker": "yes"}),
            Learn(19.98, "csr", "A quiet, efficient system before next winter."),
            Claim(19, "sales"),
            Log(12, InteractionKind.MEETING, "sales", note="Measured the basement; quoted a two-stage furnace."),
            Close(3.1, "sales", Stage.WON, amount="6400", upsell_accepted=True, upsell_amount="480"),
        ),
    ),
    Person(
        "Luis",
        "Ortega",
        "Operations Manager",
        1,
        (
            Form(62, "Heating bills doubled this year."),
            Log(
                60,
                InteractionKind.CALL_OUTBOUND,
                "csr",
                {"timeline": "this_quarter", "decision_maker": "yes", "budget": "planning"},
                note="Returned his web form.",
            ),
            Learn(59.99, "csr", "Lower monthly energy costs."),
            Claim(59, "sales"),
            Log(
                46,
                InteractionKind.MEETING,
                "sales",
                {"timeline": "this_year", "budget": "none"},
                note="Visited the practice: no budget until next year.",
            ),
            Close(46, "sales", Stage.UNCLOSED, reason="Wants to think it over; no budget this year."),
            FollowUpCall(44, "sales", VISIT_WITHOUT_SALE, "Still interested once the budget is set."),
        ),
    ),
    Person(
        "Priya",
        "Nair",
        "Office Manager",
        2,
        (
            Form(58, "Moving offices in June and need the HVAC checked."),
            Log(
                57,
                InteractionKind.CALL_OUTBOUND,
                "csr",
                {"timeline": "this_quarter", "decision_maker": "shared", "budget": "planning"},
            ),
            Learn(56.99, "csr", "No downtime during the move."),
            Claim(56, "sales"),
            Log(
                45,
                InteractionKind.MEETING,
                "sales",
                {"timeline": "this_year", "budget": "none"},
                note="Walked the new offices; the landlord may cover the HVAC.",
            ),
            Close(45, "sales", Stage.UNCLOSED, reason="Waiting to hear whether the landlord pays."),
            FollowUpCall(43, "sales", VISIT_WITHOUT_SALE, "The landlord has not decided yet."),
        ),
    ),
    Person(
        "Tom",
        "Becker",
        "Facilities Director",
        3,
        (
            Call(56, "Got our letter; two buildings with old rooftop units.", source=Source.LETTER),
            Log(55.99, InteractionKind.ANSWERS, "csr", {"timeline": "this_quarter", "decision_maker": "no"}),
            Learn(55.98, "csr", "A fair quote and a reliable installer."),
            Claim(55, "sales"),
            Log(
                44,
                InteractionKind.MEETING,
                "sales",
                {"timeline": "just_looking", "budget": "none"},
                note="Toured both buildings; the board decides in the spring.",
            ),
            Close(44, "sales", Stage.UNCLOSED, reason="The board decides in the spring."),
            FollowUpCall(42, "sales", VISIT_WITHOUT_SALE, "Call again before the board meets."),
        ),
    ),
    Person(
        "Grace",
        "Kim",
        "Homeowner",
        None,
        (
            Form(5, "Our heat pump ices up every cold night.", utm={"utm_source": "google", "utm_medium": "cpc"}),
            Log(4, InteractionKind.WEB_VISIT),
            Log(3, InteractionKind.WEB_VISIT, metadata={"return_visit": True}),
            Log(
                1,
                InteractionKind.CALL_OUTBOUND,
                "csr",
                {"timeline": "this_month", "decision_maker": "yes", "system_age": "over_15"},
                note="Returned her web form.",
            ),
            Learn(0.99, "csr", "A system that keeps the house warm in January."),
        ),
    ),
    Person(
        "Marcus",
        "Lee",
        "CFO",
        4,
        (
            Form(25, "Comparing service contracts for our three campuses."),
            Log(24, InteractionKind.EMAIL_OPEN),
            Log(18, InteractionKind.EMAIL_OPEN),
        ),
    ),
    Person(
        "Hannah",
        "Schultz",
        "Property Manager",
        0,
        (Call(12, "Has the spring tune-up letter; 14 rental units to service.", OFFER_CODE, Source.LETTER),),
    ),
    Person(
        "Omar",
        "Haddad",
        "Owner",
        1,
        (
            Call(2, "The furnace at the practice stopped this morning."),
            Log(1.99, InteractionKind.ANSWERS, "csr", {"timeline": "this_quarter", "decision_maker": "yes"}),
        ),
    ),
    Person(
        "Julia",
        "Rossi",
        "Homeowner",
        None,
        (
            Form(1, "The AC is noisy and we have a baby on the way."),
            Log(0.2, InteractionKind.CALL_OUTBOUND, "csr", note="Busy at work: call back tomorrow at 10."),
        ),
    ),
    Person(
        "Ken",
        "Watanabe",
        "Purchasing",
        2,
        (
            Form(9, "Need a quote for the warehouse's heating."),
            Log(8, InteractionKind.EMAIL_CLICK),
            Log(7, InteractionKind.WEB_VISIT),
        ),
    ),
    Person(
        "Sofia",
        "Morales",
        "President",
        3,
        (
            Call(6, "Our tenants complain about the heat in four buildings."),
            Log(
                5.99,
                InteractionKind.ANSWERS,
                "csr",
                {"timeline": "this_quarter", "decision_maker": "yes", "budget": "approved"},
            ),
            Learn(5.98, "csr", "One contractor for all four buildings."),
        ),
    ),
    Person(
        "Ben",
        "Carter",
        "Homeowner",
        None,
        (
            Form(15, "Want the spring tune-up from the letter.", offer_code=OFFER_CODE),
            Log(14, InteractionKind.QR_SCAN),
            Log(10, InteractionKind.EMAIL_OPEN),
        ),
    ),
    Person(
        "Aisha",
        "Bello",
        "Director of Operations",
        4,
        (
            Call(8, "The gym's ventilation fails inspection in a month."),
            Log(7.99, InteractionKind.ANSWERS, "csr", {"timeline": "this_month", "decision_maker": "shared"}),
            Learn(7.98, "csr", "Pass the inspection."),
            Claim(7, "sales2"),
            Log(2, InteractionKind.MEETING, "sales2", note="Site visit with their facilities lead."),
        ),
    ),
    Person("Peter", "Novak", "Homeowner", None, (Form(30, "How much is a new boiler?"),)),
    Person(
        "Emma",
        "Larsen",
        "Owner",
        0,
        (
            Form(3, "Looking at heat pumps for the new shop."),
            Log(2, InteractionKind.WEB_VISIT, metadata={"return_visit": True}),
        ),
    ),
    Person(
        "Ravi",
        "Kumar",
        "IT Manager",
        1,
        (Form(40, "The server room runs hot."), Log(38, InteractionKind.WEB_VISIT)),
    ),
    Person(
        "Chloe",
        "Martin",
        "Homeowner",
        None,
        (
            Call(4, "Referred by a neighbour who was happy with the install."),
            Log(3.99, InteractionKind.ANSWERS, "csr", {"timeline": "this_month", "system_age": "over_15"}),
            Learn(3.98, "csr", "A fair quote and a reliable installer."),
        ),
    ),
    Person("Noah", "Fischer", "Plant Manager", 2, (Call(10, "The loading dock heaters keep tripping."),)),
    Person(
        "Mia",
        "Johansson",
        "Homeowner",
        None,
        (Form(7, "Is a ductless system right for an old house?"), Log(6, InteractionKind.QR_SCAN)),
    ),
    Person(
        "Diego",
        "Silva",
        "General Manager",
        4,
        (
            Call(16, "Planning next year's maintenance budget."),
            Log(15.99, InteractionKind.ANSWERS, "csr", {"timeline": "just_looking", "decision_maker": "yes"}),
            Learn(15.98, "csr", "Prices to plan next year's budget."),
        ),
    ),
    # Tom Becker again, from his own address and mobile: a second record of one person, for a
    # manager to merge on the duplicate contacts page.
    Person(
        "Tom",
        "Becker",
        "Facilities Director",
        3,
        (Form(9, "Also need a quote for the furnace at my own house."),),
        email="tbecker.home@example.net",
    ),
]


class Command(BaseCommand):
    help = "Load demo users (one per role) and demo leads. Safe to run again: it adds nothing twice."

    def handle(self, *args, **options):
        created_users = self.users()
        self.form_key()
        self.site_key()
        if not Lead.objects.exists():
            self.book()
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        if created_users:
            self.stdout.write(f"Created users: {', '.join(created_users)}")

    def users(self) -> list[str]:
        created = []
        User = get_user_model()
        for username, role in DEMO_USERS:
            if not User.objects.filter(username=username).exists():
                create_staff_user(username=username, role=role, password=DEMO_PASSWORD, email=f"{username}@example.com")
                created.append(username)
        return created

    def site_key(self) -> None:
        """The demo key for the website script (demo/engagement.py), allowed where the form key is."""
        engagement.site_key(FormKey.objects.get(name="demo website").allowed_origins)

    def form_key(self) -> None:
        """The demo key, allowed from the address the product is served at (CRM_BASE_URL)."""
        base = urlsplit(settings.CRM_BASE_URL)
        origins = [f"{base.scheme}://{base.netloc}"]
        if base.hostname in ("127.0.0.1", "localhost"):
            origins = [
                f"{base.scheme}://{host}{f':{base.port}' if base.port else ''}" for host in ("127.0.0.1", "localhost")
            ]
        key, _ = FormKey.objects.get_or_create(
            name="demo website",
            defaults={"prefix": DEMO_FORM_KEY[:10], "key_hash": hash_form_key(DEMO_FORM_KEY), "allowed_origins": []},
        )
        missing = [origin for origin in origins if origin not in key.allowed_origins]
        if missing:
            key.allowed_origins = [*key.allowed_origins, *missing]
            key.save(update_fields=["allowed_origins"])

    @transaction.atomic
    def book(self) -> None:
        self.now = timezone.now()
        self.staff = {user.username: user for user in get_user_model().objects.filter(username__in=dict(DEMO_USERS))}
        self.website = FormKey.objects.get(name="demo website")
        with happened_at(self.ago(70)):
            for name, industry, size, city, region in COMPANIES:
                Company.objects.create(
                    name=name, industry_code=industry, size_band=size, city=city, region=region, country="US"
                )
        self.spring_offer()
        for index, person in enumerate(PEOPLE):
            self.live(index, person)
        self.offer_letter()
        # The daily decay, run once now, brings every score the dated history left behind to today.
        apply_decay()
        # Give the demo salesperson something to work: the best sales-ready lead, handed over today.
        ready = Lead.objects.filter(stage=Stage.SALES_READY, owner__isnull=True).order_by("-score", "pk").first()
        if ready is not None:
            # Between calls the prospect read marketing's e-mail and the site (demo/engagement.py).
            engagement.email_opened_and_clicked(ready, by=self.staff["marketing"], sent_at=self.ago(0.3))
            handover_lead(lead_id=ready.pk, owner_id=self.staff["sales"].pk, by=self.staff["manager"])
        julia = Lead.objects.get(contact__last_name="Rossi")
        tomorrow_at_ten = timezone.localtime(self.now + timedelta(days=1)).replace(hour=10, minute=0, second=0)
        schedule_callback(
            lead_id=julia.pk,
            due_at=tomorrow_at_ten,
            by=self.staff["csr"],
            note="Call back tomorrow at 10: wants the second quote",
        )
        mark_due()  # the sale's after-sale call has come due, as beat would say within seconds
        nurture.seed(self.staff["marketing"])  # marketing keeps the unclosed warm; customers get the after-sale

    def ago(self, days: float):
        return self.now - timedelta(days=days)

    def spring_offer(self) -> None:
        """The live offer SPRING25, running for a month, with its direct-mail placement."""
        with happened_at(self.ago(31)):
            campaign = save_campaign(
                name="Spring tune-up", description="Furnace and AC tune-ups before summer.", by=self.staff["marketing"]
            )
            offer = save_offer(
                campaign=campaign,
                code=OFFER_CODE,
                headline="25% off a spring tune-up",
                details="Any furnace or AC tune-up booked before the deadline.",
                starts_at=self.ago(30),
                deadline=self.now + timedelta(days=20),
                quantity_limit=200,
                upsell_product="Annual maintenance plan",
                upsell_pitch="Two visits a year and priority service for less than one repair.",
                placements=[
                    {
                        "channel": "direct mail",
                        "outlet": "Unclosed-prospect letter",
                        "starts_on": self.ago(30).date(),
                        "ends_on": (self.now + timedelta(days=20)).date(),
                        "cost": Decimal("850.00"),
                    }
                ],
            )
        with happened_at(self.ago(30)):
            launch_offer(offer_id=offer.pk, by=self.staff["marketing"])

    def live(self, index: int, person: Person) -> None:
        """One person's story, step by step, each dated to the day it happened."""
        company = COMPANIES[person.company][0] if person.company is not None else ""
        town = COMPANIES[person.company if person.company is not None else index % len(COMPANIES)]
        who = intake.Person(
            first_name=person.first_name,
            last_name=person.last_name,
            email=person.email or f"{person.first_name}.{person.last_name}@example.com".lower(),
            phone=f"+1555010{index:04d}",
            company=company,
            title=person.title,
            consent=True,
        )
        arrival, *steps = person.story
        with happened_at(self.ago(arrival.days)):
            lead = self.arrive(who, arrival)
            update_contact(
                contact_id=lead.contact_id, mailing_address=f"{100 + index * 7} Maple Street\n{town[3]}, {town[4]}"
            )
        # Steps of one day run in one block: a close right after the visit is scored as of that
        # day, the visit being its last activity.
        for days, same_day in groupby(steps, key=lambda step: step.days):
            with happened_at(self.ago(days)):
                for step in same_day:
                    self.act(lead.pk, step)

    def arrive(self, who: intake.Person, step: Form | Call) -> Lead:
        if isinstance(step, Form):
            data = {
                "first_name": who.first_name,
                "last_name": who.last_name,
                "email": who.email,
                "phone": who.phone,
                "company": who.company,
                "title": who.title,
                "consent": who.consent,
                "message": step.message,
                "offer_code": step.offer_code,
                **step.utm,
            }
            result = capture_submission(form_key=self.website, data=data)
            return Lead.objects.get(pk=result.body["lead"])
        taken = intake.receive(
            intake.Arrival(
                person=who,
                kind=InteractionKind.CALL_INBOUND,
                source=step.source,
                stage_reason="Called about our letter" if step.source == Source.LETTER else "Inbound call",
                by=self.staff["csr"],
                note=step.note,
                inquiry_reason=step.note,
                code=codes.resolve_known(step.offer_code),
            )
        )
        return taken.lead

    def act(self, lead_id: int, step) -> None:
        by = self.staff.get(getattr(step, "by", None) or "")
        if isinstance(step, Log):
            log_interaction(
                lead_id=lead_id,
                kind=step.kind,
                author=by,
                note=step.note,
                answers=[{"question": key, "answer": value} for key, value in step.answers.items()],
                metadata=step.metadata,
            )
        elif isinstance(step, Learn):
            update_lead(Lead.objects.get(pk=lead_id), by=by, desired_outcome=step.desired_outcome)
        elif isinstance(step, Claim):
            claim_lead(lead_id=lead_id, by=by)
        elif isinstance(step, Close):
            close_lead(
                lead_id=lead_id,
                outcome=step.outcome,
                amount=step.amount,
                upsell_accepted=step.upsell_accepted,
                upsell_amount=step.upsell_amount,
                reason=step.reason,
                by=by,
            )
        elif isinstance(step, FollowUpCall):
            planned = FollowUp.objects.filter(
                lead_id=lead_id, status__in=[FollowUpStatus.SCHEDULED, FollowUpStatus.DUE]
            )
            if planned.exists():  # marketing may have switched the script off: then none was planned
                complete(followup_id=planned.get().pk, by=by, answers=step.answers, note=step.note)
        else:
            raise TypeError(f"Not a step of a lead's story: {step!r}")

    def offer_letter(self) -> None:
        """A second letter, carrying the live offer's code and deadline."""
        LetterTemplate.objects.get_or_create(
            name="Spring tune-up for unclosed prospects",
            defaults={
                "subject": "{{ first_name }}, 25% off your tune-up until {{ offer_deadline }}",
                "body": "Dear {{ first_name }},\n\nWhen we met you were weighing up a tune-up. Until "
                "{{ offer_deadline }}, quote {{ offer_code }} and you get: {{ offer_headline }}.\n\n"
                "Call us and mention {{ response_code }}: we will know what we talked about.\n\n"
                "Kind regards,\n{{ salesperson }}",
                "offer": codes.resolve(OFFER_CODE).offer,
                "unclosed_days": 30,
            },
        )
