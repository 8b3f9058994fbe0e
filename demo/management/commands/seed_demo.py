"""Demo users for each role and a small book of leads, built through the real services (idempotent)."""

import random
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, Offer, Placement
from crm.models import Company, Contact
from crm.services import create_staff_user, find_or_create_contact
from followups.models import FollowUp, LetterTemplate
from followups.services import schedule_callback
from leads.kinds import InteractionKind, Source, Stage
from leads.models import FormKey, Lead, hash_form_key
from leads.services import log_interaction, update_lead
from leads.stages import record_first_stage
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

COMPANIES = [
    ("Northside Plumbing & Heating", "238220", "10-49", "Springfield", "IL"),
    ("Maple Street Dental", "621210", "1-9", "Columbus", "OH"),
    ("Harbor Logistics", "488510", "50-249", "Tacoma", "WA"),
    ("Evergreen Property Management", "531311", "10-49", "Portland", "OR"),
    ("Bright Path Schools", "611110", "250-999", "Austin", "TX"),
]
PEOPLE = [
    ("Dana", "Whitaker", "Owner"),
    ("Luis", "Ortega", "Operations Manager"),
    ("Priya", "Nair", "Office Manager"),
    ("Tom", "Becker", "Facilities Director"),
    ("Grace", "Kim", "Homeowner"),
    ("Marcus", "Lee", "CFO"),
    ("Hannah", "Schultz", "Property Manager"),
    ("Omar", "Haddad", "Owner"),
    ("Julia", "Rossi", "Homeowner"),
    ("Ken", "Watanabe", "Purchasing"),
    ("Sofia", "Morales", "President"),
    ("Ben", "Carter", "Homeowner"),
    ("Aisha", "Bello", "Director of Operations"),
    ("Peter", "Novak", "Homeowner"),
    ("Emma", "Larsen", "Owner"),
    ("Ravi", "Kumar", "IT Manager"),
    ("Chloe", "Martin", "Homeowner"),
    ("Noah", "Fischer", "Plant Manager"),
    ("Mia", "Johansson", "Homeowner"),
    ("Diego", "Silva", "General Manager"),
]
REASONS = [
    (
        "Saw the spring tune-up letter; furnace is 20 years old and noisy.",
        "A quiet, efficient system before next winter.",
    ),
    ("Heating bills doubled this year.", "Lower monthly energy costs."),
    ("Moving offices in June and need the HVAC checked.", "No downtime during the move."),
    ("Referred by a neighbour who was happy with the install.", "A fair quote and a reliable installer."),
    ("", ""),
]


class Command(BaseCommand):
    help = "Load demo users (one per role) and demo leads. Safe to run again: it adds nothing twice."

    def handle(self, *args, **options):
        created_users = self.users()
        if not Lead.objects.exists():
            self.book()
        self.form_key()
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
        rng = random.Random(2026)
        now = timezone.now()
        companies = [
            Company.objects.create(name=n, industry_code=i, size_band=s, city=c, region=r, country="US")
            for n, i, s, c, r in COMPANIES
        ]
        campaign = Campaign.objects.create(name="Spring tune-up", description="Furnace and AC tune-ups before summer.")
        offer = Offer.objects.create(
            campaign=campaign,
            code="SPRING25",
            headline="25% off a spring tune-up",
            details="Any furnace or AC tune-up booked before the deadline.",
            starts_at=now - timedelta(days=10),
            deadline=now + timedelta(days=20),
            quantity_limit=200,
            upsell_product="Annual maintenance plan",
            upsell_pitch="Two visits a year and priority service for less than one repair.",
            launched_at=now - timedelta(days=10),
        )
        Placement.objects.create(
            offer=offer,
            channel="direct mail",
            outlet="Unclosed-prospect letter",
            starts_on=(now - timedelta(days=10)).date(),
            ends_on=(now + timedelta(days=20)).date(),
            cost="850.00",
        )
        csr = get_user_model().objects.get(username="csr")
        behaviours = [
            InteractionKind.EMAIL_OPEN,
            InteractionKind.EMAIL_CLICK,
            InteractionKind.WEB_VISIT,
            InteractionKind.QR_SCAN,
        ]
        for index, (first, last, title) in enumerate(PEOPLE):
            company = companies[index % len(companies)] if "Homeowner" not in title else None
            contact, _ = find_or_create_contact(
                email=f"{first}.{last}@example.com".lower(),
                phone=f"+1555010{index:04d}"[:12],
                first_name=first,
                last_name=last,
                title=title,
                company_name=company.name if company else "",
                consent=True,
            )
            if company and contact.company_id is None:
                Contact.objects.filter(pk=contact.pk).update(company=company)
            town = company or companies[index % len(companies)]
            Contact.objects.filter(pk=contact.pk, mailing_address="").update(
                mailing_address=f"{100 + index * 7} Maple Street\n{town.city}, {town.region}"
            )
            reason, outcome = REASONS[index % len(REASONS)]
            stage = Stage.LIST if index % 7 == 6 else Stage.INQUIRY
            lead = Lead.objects.create(
                contact=contact,
                stage=stage,
                inquired_at=now if stage == Stage.INQUIRY else None,
                source=rng.choice([Source.WEB_FORM, Source.PHONE, Source.LETTER, Source.LIST]),
                offer=offer if index % 3 == 0 else None,
                campaign=campaign if index % 3 == 0 else None,
                offer_code="SPRING25" if index % 3 == 0 else "",
            )
            record_first_stage(lead, reason="Demo data")
            update_lead(lead, inquiry_reason=reason, desired_outcome=outcome)
            if stage == Stage.INQUIRY:
                log_interaction(
                    lead_id=lead.pk,
                    kind=rng.choice([InteractionKind.CALL_INBOUND, InteractionKind.FORM]),
                    author=csr,
                    occurred_at=now - timedelta(days=rng.randint(0, 20)),
                    note=reason,
                )
            for _ in range(rng.randint(0, 4)):
                log_interaction(
                    lead_id=lead.pk, kind=rng.choice(behaviours), occurred_at=now - timedelta(days=rng.randint(0, 30))
                )
            if index % 4 == 0 and stage == Stage.INQUIRY:
                log_interaction(
                    lead_id=lead.pk,
                    kind=InteractionKind.ANSWERS,
                    author=csr,
                    answers=[
                        {"question": "timeline", "answer": rng.choice(["this_month", "this_quarter", "just_looking"])},
                        {"question": "decision_maker", "answer": "yes"},
                    ],
                )
        # Give the demo salesperson something to work: the best sales-ready lead, handed over.
        manager = get_user_model().objects.get(username="manager")
        sales_rep = get_user_model().objects.get(username="sales")
        ready = Lead.objects.filter(stage=Stage.SALES_READY, owner__isnull=True).order_by("-score").first()
        if ready is not None:
            handover_lead(lead_id=ready.pk, owner_id=sales_rep.pk, by=manager)
        self.follow_ups(sales_rep, manager, now)

    def offer_letter(self) -> None:
        """A second letter, carrying the live offer's code and deadline."""
        offer = Offer.objects.filter(code="SPRING25").first()
        LetterTemplate.objects.get_or_create(
            name="Spring tune-up for unclosed prospects",
            defaults={
                "subject": "{{ first_name }}, 25% off your tune-up until {{ offer_deadline }}",
                "body": "Dear {{ first_name }},\n\nWhen we met you were weighing up a tune-up. Until "
                "{{ offer_deadline }}, quote {{ offer_code }} and you get: {{ offer_headline }}.\n\n"
                "Call us and mention {{ response_code }}: we will know what we talked about.\n\n"
                "Kind regards,\n{{ salesperson }}",
                "offer": offer,
                "unclosed_days": 30,
            },
        )

    def follow_ups(self, sales_rep, manager, now) -> None:
        """A sale whose after-sale call is due today, a callback for tomorrow, and three visits
        without a sale six weeks ago: what the follow-ups page and the letters need to show."""
        inquiries = list(Lead.objects.filter(stage=Stage.INQUIRY).order_by("pk"))
        for lead in inquiries[:4]:
            Lead.objects.filter(pk=lead.pk).update(score=75)
            update_lead(lead, inquiry_reason=lead.inquiry_reason or "Wants a quote", desired_outcome="A fair price")
        ready = list(Lead.objects.filter(stage=Stage.SALES_READY, owner__isnull=True).order_by("pk")[:4])
        if not ready:
            return
        won = ready[0]
        claim_lead(lead_id=won.pk, by=sales_rep)
        close_lead(lead_id=won.pk, outcome="won", amount="6400", upsell_accepted=True, by=sales_rep)
        FollowUp.objects.filter(lead=won, kind="closed_won").update(due_at=now + timedelta(hours=1))
        for lead in ready[1:]:
            claim_lead(lead_id=lead.pk, by=sales_rep)
            close_lead(lead_id=lead.pk, outcome="unclosed", reason="Wants to think it over", by=sales_rep)
            Lead.objects.filter(pk=lead.pk).update(closed_at=now - timedelta(days=45))
        self.offer_letter()
        schedule_callback(
            lead_id=inquiries[-1].pk,
            due_at=now + timedelta(days=1),
            by=get_user_model().objects.get(username="csr"),
            note="Call back tomorrow at 10: wants the second quote",
        )
