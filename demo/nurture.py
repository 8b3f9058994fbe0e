"""The demo's sequences: marketing keeping unclosed prospects warm (an e-mail, three days to read
it, a call from the owner for those who opened it, the offer's deadline two weeks on), and the
shipped after-the-sale sequence taking the demo's recent customers by its trigger. Everything goes
through the services and the step sweep, as the worker's beat would; e-mails due in the quiet
hours wait for the morning, as they would."""

from __future__ import annotations

from campaigns.models import Offer
from leads.kinds import Stage
from leads.models import Lead
from nurture import engine, services
from nurture.models import Sequence, SequenceStatus

KEEP_WARM = "Unclosed prospects: keep warm"
WEEKDAYS = {"weekdays": ["mon", "tue", "wed", "thu", "fri"], "from_hour": 9, "to_hour": 17}


def keep_warm_steps(offer: Offer | None) -> list[dict]:
    deadline = "Until {{ offer_deadline }}, {{ offer_code }} gives you: {{ offer_headline }}.\n\n" if offer else ""
    return [
        {
            "kind": "email",
            "subject": "Still thinking it over, {{ first_name }}?",
            "text": "Dear {{ first_name }},\n\nWhen we last spoke you were not ready to decide, and that is fine. "
            + deadline
            + "See what a spring tune-up covers: https://www.example.com/spring-tune-up\n\n{{ salesperson }}",
            "offer": offer.pk if offer else None,
        },
        {"kind": "wait", "days": 3, **WEEKDAYS},
        {"kind": "branch", "if": "opened", "then": "next", "else": 5},
        {"kind": "call", "note": "They opened the spring e-mail: ask whether the tune-up would help.", "to": "owner"},
        {"kind": "wait", "days": 14, **WEEKDAYS},
        {
            "kind": "email",
            "subject": "{{ first_name }}, a last word on the spring tune-up",
            "text": "Dear {{ first_name }},\n\nIf the timing is better now, reply or call us: we keep a few "
            "visits free each week.\n\n{{ salesperson }}",
        },
    ]


def seed(marketing) -> None:
    sequence = Sequence.objects.filter(name=KEEP_WARM).first()
    if sequence is None:
        offer = Offer.objects.filter(code="SPRING25").first()
        sequence = services.save_sequence(
            name=KEEP_WARM,
            description="Prospects closed unclosed three days ago, kept warm until they are ready.",
            trigger="unclosed",
            trigger_days=3,
            steps=keep_warm_steps(offer),
            by=marketing,
        )
        services.set_status(sequence.pk, SequenceStatus.ACTIVE)
        unclosed = list(Lead.objects.filter(stage=Stage.UNCLOSED).values_list("pk", flat=True))
        if unclosed:
            services.enrol(sequence_id=sequence.pk, lead_ids=unclosed, by=marketing)
    services.enrol_by_triggers()
    while engine.advance_due():
        pass
