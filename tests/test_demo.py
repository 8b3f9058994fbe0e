"""The demo book `make run` loads (`manage.py seed_demo`): made through the services, so every
number a page shows is the engine's and every lead's history reads in order."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from campaigns.models import Offer
from followups.defaults import LETTER, SCRIPTS
from followups.letters.selectors import eligible_leads
from followups.models import FollowUp, FollowUpKind, FollowUpScript, FollowUpStatus, LetterTemplate
from leads.capture import active_form_key
from leads.checks import disagreements
from leads.kinds import InteractionKind, Stage
from leads.models import Lead
from leads.services import PASSIVE_KINDS
from sales.selectors import pool
from tests.factories import client_for

pytestmark = pytest.mark.django_db

SAME_MOMENT = timedelta(seconds=1)


@pytest.fixture
def demo():
    """The demo on a fresh install: with the follow-up scripts and letter migration 0002 ships (a
    flushed transactional test may have removed them)."""
    for script in SCRIPTS:
        FollowUpScript.objects.get_or_create(name=script["name"], defaults=script)
    LetterTemplate.objects.get_or_create(name=LETTER["name"], defaults=LETTER)
    call_command("seed_demo", stdout=StringIO())


def score_shown(html: str, name: str) -> str:
    """The "75 · Warm" beside a lead's name in a list or queue row."""
    row = re.search(rf"{name}</a>.*?<span class=\"temp \w+\">([^<]+)</span>", html, re.S)
    assert row, f"{name} is not listed"
    return row.group(1)


def test_every_stored_score_is_the_engines(demo):
    assert list(disagreements()) == []
    out = StringIO()
    call_command("check_scores", stdout=out)
    assert f"All {Lead.objects.count()} leads' scores are the engine's" in out.getvalue()


def test_the_list_the_queue_and_the_lead_page_show_the_same_score(demo):
    sales = get_user_model().objects.get(username="sales")
    client = client_for(sales)
    first_in_pool = pool().first()
    name = str(first_in_pool.contact)
    shown = f"{first_in_pool.score} · {first_in_pool.get_temperature_display()}"
    assert score_shown(client.get("/leads/").content.decode(), name) == shown
    assert score_shown(client.get("/queue/").content.decode(), name) == shown
    page = client.get(f"/leads/{first_in_pool.pk}/").content.decode()
    assert re.search(rf'data-testid="score">{first_in_pool.score}<', page)
    # "Claim the next lead" hands out the best pool lead by the score everyone sees.
    assert first_in_pool.score == max(lead.score for lead in pool())


def test_every_lead_has_a_history_in_order(demo):
    now = timezone.now()
    for lead in Lead.objects.prefetch_related("interactions", "stage_changes"):
        interactions = sorted(lead.interactions.all(), key=lambda i: i.occurred_at)
        assert interactions, f"{lead.contact} has no interaction"
        # A new lead's row is saved a few microseconds after the moment its first interaction
        # and inquiry are stamped with (leads.services.open_lead): the same moment to a person.
        arrived = interactions[0].occurred_at
        assert abs(lead.created_at - arrived) < SAME_MOMENT, lead.contact
        assert lead.inquired_at == arrived, lead.contact  # every demo lead arrived as an inquiry
        active = [i.occurred_at for i in interactions if i.kind not in PASSIVE_KINDS]
        assert lead.last_activity_at == max(active), lead.contact
        assert all(change.changed_at >= arrived for change in lead.stage_changes.all()), lead.contact
        assert lead.created_at < now - timedelta(hours=12), f"{lead.contact} arrived just now"
        if lead.closed_at is not None:
            assert lead.sales_cycle_days == (lead.closed_at - lead.created_at).days
    assert Lead.objects.filter(last_activity_at__lt=now - timedelta(days=21)).exists()  # some went quiet


def test_what_the_readme_promises_is_there(demo):
    now = timezone.now()
    # A sale whose after-sale call is due.
    won = Lead.objects.get(stage=Stage.WON)
    after_sale = FollowUp.objects.get(lead=won, kind=FollowUpKind.CLOSED_WON)
    assert after_sale.status == FollowUpStatus.DUE and after_sale.due_at <= now
    assert won.score == 100
    # A callback.
    callback = FollowUp.objects.get(kind=FollowUpKind.CALLBACK)
    assert callback.due_at > now and callback.status == FollowUpStatus.SCHEDULED
    # Three visits without a sale six weeks ago, which the letters reach.
    unclosed = Lead.objects.filter(stage=Stage.UNCLOSED)
    assert unclosed.count() == 3
    assert all(now - timedelta(days=47) < lead.closed_at < now - timedelta(days=42) for lead in unclosed)
    assert all(lead.interactions.filter(kind=InteractionKind.MEETING).exists() for lead in unclosed)
    for template in LetterTemplate.objects.all():
        reached = eligible_leads(template, unclosed_days=template.unclosed_days, at=now)
        assert set(reached) == set(unclosed), template.name
    # The live offer, the web-form key, a salesperson with a lead handed over, the pool.
    assert Offer.objects.get(code="SPRING25").status == "live"
    assert active_form_key("wf_demo_local_only_do_not_use_in_production") is not None
    assert Lead.objects.filter(owner__username="sales", stage=Stage.SALES_READY, owner_accepted_at=None).exists()
    assert pool().exists()


def test_seeding_twice_adds_nothing(demo):
    before = (Lead.objects.count(), FollowUp.objects.count(), Offer.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (Lead.objects.count(), FollowUp.objects.count(), Offer.objects.count()) == before
    assert list(disagreements()) == []
