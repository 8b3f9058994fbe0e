"""Marketing's offer pages, the staff briefing and its e-mail, and the CSR's call console."""

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.briefing import send_staff_briefing
from campaigns.models import Campaign, Offer, Placement
from leads.models import Lead
from tests.factories import ContactFactory, LeadFactory, live_offer, signed_in_client

pytestmark = pytest.mark.django_db


def test_the_briefing_lists_live_offers_and_flags_the_ones_ending_soon(users):
    live_offer("SPRING25", days_left=20)
    live_offer("LASTCALL", days_left=3)
    html = signed_in_client(users["csr"]).get("/briefing/").content.decode()
    assert "SPRING25" in html and "Maintenance plan" in html and "KXYZ" in html
    assert 'class="card offer expiring" data-code="LASTCALL"' in html
    assert 'class="card offer" data-code="SPRING25"' in html


def test_the_weekly_briefing_goes_to_every_staff_member(users, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for user in users.values():
        user.email = f"{user.username}@example.com"
        user.save()
    live_offer()
    assert send_staff_briefing() == 5  # the user without a role gets nothing
    from outbox.services import send_pending

    assert send_pending() == 5
    assert "SPRING25" in mail.outbox[0].body and len(mail.outbox[0].to) == 1


def offer_form(campaign, **changes):
    """The offer editor's POST for a new offer with one placement; `changes` override fields."""
    form = {
        "campaign": campaign.pk,
        "code": "FALL10",
        "headline": "10% off",
        "details": "",
        "quantity_limit": "",
        "starts_at": "2026-12-01T09:00",
        "deadline": "2026-12-31T18:00",
        "upsell_product": "",
        "upsell_pitch": "",
        "placements-TOTAL_FORMS": "1",
        "placements-INITIAL_FORMS": "0",
        "placements-0-channel": "radio",
        "placements-0-channel_other": "",
        "placements-0-outlet": "KXYZ",
        "placements-0-starts_on": "2026-12-01",
        "placements-0-ends_on": "2026-12-20",
        "placements-0-cost": "400",
    }
    return form | changes


def test_marketing_saves_an_offer_with_placements_and_sees_why_it_cannot_launch(users):
    client = signed_in_client(users["marketing"])
    form = offer_form(Campaign.objects.create(name="Fall"), code="fall10")
    response = client.post("/offers/new/", form)
    assert response.status_code == 302
    offer = Offer.objects.get()
    assert offer.code == "FALL10" and offer.placements.get().outlet == "KXYZ"
    page = client.get(f"/offers/{offer.pk}/").content.decode()
    assert "Every offer needs its intended upsell" in page
    refused = client.post(f"/offers/{offer.pk}/launch/", follow=True).content.decode()
    assert "Every offer needs its intended upsell" in refused and Offer.objects.get().launched_at is None


def test_offer_form_shows_field_errors(users):
    client = signed_in_client(users["marketing"])
    form = offer_form(
        Campaign.objects.create(name="Fall"),
        code="BAD",
        headline="x",
        quantity_limit="-2",
        starts_at="2026-12-31T09:00",
        deadline="2026-12-01T18:00",
        **{"placements-TOTAL_FORMS": "0"},
    )
    response = client.post("/offers/new/", form)
    assert response.status_code == 400
    html = response.content.decode()
    assert "The deadline must come after the start." in html
    assert not Offer.objects.exists()


def test_console_finds_a_caller_by_a_phone_typed_differently_and_an_offer_by_code(users):
    lead = LeadFactory(contact=ContactFactory(first_name="Dana", last_name="Whitaker", phone="+15550100042"))
    live_offer("SPRING25")
    client = signed_in_client(users["csr"])
    html = client.get("/console/search/", {"q": "(555) 010-0042"}).content.decode()
    assert "Dana Whitaker" in html and f"/console/caller/{lead.pk}/" in html
    offer_html = client.get("/console/search/", {"q": "spring25"}).content.decode()
    assert 'data-testid="offer-hit"' in offer_html and "live" in offer_html
    picked = client.get("/console/search/", {"q": "whit", "pick": "1"}).content.decode()
    assert 'hx-swap-oob="true"' in picked and "Log an interaction" in picked


def test_console_escapes_what_people_typed(users):
    LeadFactory(contact=ContactFactory(first_name="<script>alert(1)</script>", last_name="Zed"))
    html = signed_in_client(users["csr"]).get("/console/search/", {"q": "Zed"}).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_a_new_caller_is_created_once_and_the_call_logged(users):
    client = signed_in_client(users["csr"])
    body = {"first_name": "Nia", "last_name": "Obi", "phone": "555-010-7788", "note": "Furnace died"}
    first = client.post("/console/new-caller/", body, follow=True)
    assert first.status_code == 200 and "Call logged for Nia Obi" in first.content.decode()
    lead = Lead.objects.get()
    assert (lead.source, lead.inquiry_reason, lead.score) == ("phone", "Furnace died", 50)
    client.post("/console/new-caller/", body | {"phone": "(555) 010-7788"})
    assert Lead.objects.count() == 1 and lead.interactions.count() == 2


def test_a_new_caller_with_bad_input_gets_errors_and_nothing_is_written(users):
    response = signed_in_client(users["csr"]).post("/console/new-caller/", {"first_name": "X", "phone": "12"})
    assert "Enter a valid phone number." in response.content.decode()
    assert not Lead.objects.exists()


def editor_form(offer):
    """What the offer editor posts back for a saved offer when nothing is changed."""
    form = offer_form(
        offer.campaign,
        code=offer.code,
        headline=offer.headline,
        starts_at=timezone.localtime(offer.starts_at).strftime("%Y-%m-%dT%H:%M"),
        deadline=timezone.localtime(offer.deadline).strftime("%Y-%m-%dT%H:%M"),
        quantity_limit=str(offer.quantity_limit or ""),
        upsell_product=offer.upsell_product,
        upsell_pitch=offer.upsell_pitch,
    )
    placements = list(offer.placements.all())
    form |= {"placements-TOTAL_FORMS": str(len(placements) + 1), "placements-INITIAL_FORMS": str(len(placements))}
    for i, p in enumerate(placements):
        form |= {
            f"placements-{i}-id": str(p.pk),
            f"placements-{i}-offer": str(offer.pk),
            f"placements-{i}-channel": p.channel,
            f"placements-{i}-outlet": p.outlet,
            f"placements-{i}-starts_on": str(p.starts_on),
            f"placements-{i}-ends_on": str(p.ends_on),
            f"placements-{i}-cost": str(p.cost),
        }
    n = len(placements)
    empty_row = {"id": "", "offer": str(offer.pk), "channel": "", "channel_other": "", "outlet": ""}
    empty_row |= {"starts_on": "", "ends_on": "", "cost": "0"}  # as the browser sends the empty row
    return form | {f"placements-{n}-{name}": value for name, value in empty_row.items()}


def selected_campaign(html):
    import re

    select = re.search(r'<select name="campaign".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="(\d+)" selected>', select)


def test_the_offer_editor_opens_with_the_saved_campaign_whatever_the_link_says(users):
    offer = live_offer("SPRING25")
    other = Campaign.objects.create(name="Fall")
    client = signed_in_client(users["marketing"])
    assert selected_campaign(client.get(f"/offers/{offer.pk}/").content.decode()) == [str(offer.campaign_id)]
    linked = client.get(f"/offers/{offer.pk}/", {"campaign": other.pk}).content.decode()
    assert selected_campaign(linked) == [str(offer.campaign_id)]
    assert selected_campaign(client.get("/offers/new/", {"campaign": other.pk}).content.decode()) == [str(other.pk)]


def test_an_offer_saved_again_unchanged_is_saved(users):
    offer = live_offer("SPRING25")
    client = signed_in_client(users["marketing"])
    response = client.post(f"/offers/{offer.pk}/", editor_form(offer) | {"headline": "Now 30% off"})
    assert response.status_code == 302, response.content.decode()
    offer.refresh_from_db()
    assert offer.headline == "Now 30% off" and offer.placements.get().outlet == "KXYZ"


def test_placement_errors_show_beside_their_fields_with_the_offers_other_errors(users):
    live_offer("TAKEN")
    client = signed_in_client(users["marketing"])
    form = offer_form(
        Campaign.objects.get(),
        code="taken",
        deadline="2026-11-01T09:00",
        **{
            "placements-TOTAL_FORMS": "2",
            "placements-0-ends_on": "2026-11-20",  # before its start
            "placements-1-channel": "web",
            "placements-1-outlet": "Banner",
            "placements-1-starts_on": "2026-12-01",
            "placements-1-ends_on": "2026-12-02",
            "placements-1-cost": "-5",
        },
    )
    response = client.post("/offers/new/", form)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Not saved: please correct the errors below." in html
    assert "The code TAKEN is already used by another offer." in html
    assert "The deadline must come after the start." in html
    rows = response.context["placements"].forms
    assert rows[0].errors == {"ends_on": ["The placement must end on or after the day it starts."]}
    assert rows[1].errors == {"cost": ["The cost cannot be negative."]}
    assert "The placement must end on or after the day it starts." in html and "The cost cannot be negative." in html
    assert "placement_" not in html and "Constraint" not in html
    assert Offer.objects.count() == 1


def test_an_offer_takes_as_many_placements_as_it_needs_and_the_editor_can_add_more(users):
    client = signed_in_client(users["marketing"])
    form = offer_form(Campaign.objects.create(name="Fall"), **{"placements-TOTAL_FORMS": "5"})
    for i, outlet in enumerate(["KABC", "Daily News", "Billboard 9", "Spring fair"], start=1):
        form |= {
            f"placements-{i}-channel": "radio",
            f"placements-{i}-outlet": outlet,
            f"placements-{i}-starts_on": "2026-12-01",
            f"placements-{i}-ends_on": "2026-12-05",
            f"placements-{i}-cost": "10.50",
        }
    assert client.post("/offers/new/", form).status_code == 302
    offer = Offer.objects.get()
    assert offer.placements.count() == 5
    html = client.get(f"/offers/{offer.pk}/").content.decode()
    assert 'name="placements-TOTAL_FORMS" value="6"' in html  # the five and one empty row
    assert 'data-add-row="placements"' in html and "Add a placement" in html
    assert 'name="placements-__prefix__-channel"' in html  # the row the button copies
    assert "$442.00" in html  # 400 + 4 × 10.50, as money


def test_removing_one_placement_keeps_the_others_and_the_leads_that_came_through_them(users):
    offer = live_offer("SPRING25")
    Placement.objects.create(
        offer=offer,
        channel="newspaper",
        outlet="Daily",
        starts_on=offer.starts_at.date(),
        ends_on=offer.deadline.date(),
    )
    radio = offer.placements.get(channel="radio")
    lead = LeadFactory(offer=offer, placement=radio)
    paper_row = [p.channel for p in offer.placements.all()].index("newspaper")  # the editor's order
    form = editor_form(offer) | {f"placements-{paper_row}-DELETE": "on"}
    assert signed_in_client(users["marketing"]).post(f"/offers/{offer.pk}/", form).status_code == 302
    assert list(offer.placements.values_list("pk", flat=True)) == [radio.pk]
    lead.refresh_from_db()
    assert lead.placement_id == radio.pk


def test_a_channel_comes_from_the_list_or_is_typed_under_other(users):
    client = signed_in_client(users["marketing"])
    campaign = Campaign.objects.create(name="Fall")
    typed = offer_form(campaign, **{"placements-0-channel": "other", "placements-0-channel_other": " Truck wrap "})
    assert client.post("/offers/new/", typed).status_code == 302
    offer = Offer.objects.get()
    assert offer.placements.get().channel == "Truck wrap"
    html = client.get(f"/offers/{offer.pk}/").content.decode()
    assert '<option value="other" selected>' in html and 'value="Truck wrap"' in html
    assert '<option value="tv">TV</option>' in html and '<option value="email">E-mail</option>' in html

    known = offer_form(
        campaign, code="FALL11", **{"placements-0-channel": "other", "placements-0-channel_other": "E-Mail"}
    )
    assert client.post("/offers/new/", known).status_code == 302
    assert Offer.objects.get(code="FALL11").placements.get().channel == "email"

    empty = client.post("/offers/new/", offer_form(campaign, code="FALL12", **{"placements-0-channel": "other"}))
    assert empty.status_code == 400
    assert "Type the channel in the box, or pick one from the list." in empty.content.decode()
    assert not Offer.objects.filter(code="FALL12").exists()


def test_marketing_renames_a_campaign_and_names_are_unique_in_any_case(users):
    client = signed_in_client(users["marketing"])
    spring = Campaign.objects.create(name="Spring")
    fall = Campaign.objects.create(name="Fall")
    response = client.post(f"/campaigns/{fall.pk}/", {"name": "  Autumn ", "description": "Leaves"})
    assert response.status_code == 302
    fall.refresh_from_db()
    assert (fall.name, fall.description) == ("Autumn", "Leaves")
    taken = client.post(f"/campaigns/{fall.pk}/", {"name": "SPRING", "description": ""})
    assert taken.status_code == 400
    assert "Another campaign is already called “Spring”: choose another name." in taken.content.decode()
    assert "Campaign Autumn" in taken.content.decode()  # the heading keeps the saved name
    again = client.post("/campaigns/", {"name": "spring", "description": ""})
    assert again.status_code == 400 and "already called “Spring”" in again.content.decode()
    assert Campaign.objects.count() == 2 and Campaign.objects.get(pk=spring.pk).name == "Spring"


def test_an_archived_campaign_is_hidden_closed_to_new_offers_and_can_be_restored(users):
    client = signed_in_client(users["marketing"])
    offer = live_offer("SPRING25")
    spring = offer.campaign
    Campaign.objects.create(name="Fall")
    archived = client.post(f"/campaigns/{spring.pk}/archive/", follow=True).content.decode()
    assert (
        "Campaign “Spring” archived" in archived and "Its live offers (SPRING25) run until their deadlines." in archived
    )
    spring.refresh_from_db()
    assert spring.archived

    listed = client.get("/campaigns/").content.decode()
    assert 'data-campaign="Fall"' in listed and 'data-campaign="Spring"' not in listed
    assert "Show the archived campaigns (1)" in listed
    everything = client.get("/campaigns/", {"archived": "1"}).content.decode()
    assert 'data-campaign="Spring"' in everything and "Restore Spring" in everything
    assert f"/offers/new/?campaign={spring.pk}" not in everything

    new = client.get("/offers/new/", {"campaign": spring.pk}).content.decode()
    assert selected_campaign(new) == [] and ">Spring<" not in new
    refused = client.post("/offers/new/", offer_form(spring))
    assert refused.status_code == 400 and not Offer.objects.filter(code="FALL10").exists()
    editing = client.get(f"/offers/{offer.pk}/").content.decode()
    assert selected_campaign(editing) == [str(spring.pk)] and "Spring (archived)" in editing
    assert client.post(f"/offers/{offer.pk}/", editor_form(offer) | {"headline": "Still on"}).status_code == 302

    restored = client.post(f"/campaigns/{spring.pk}/restore/", follow=True).content.decode()
    assert "Campaign “Spring” restored" in restored and 'data-campaign="Spring"' in restored


def test_a_draft_offer_of_an_archived_campaign_cannot_launch(users):
    offer = live_offer("SPRING25")
    Offer.objects.filter(pk=offer.pk).update(launched_at=None)
    Campaign.objects.filter(pk=offer.campaign_id).update(archived=True)
    client = signed_in_client(users["marketing"])
    refused = client.post(f"/offers/{offer.pk}/launch/", follow=True).content.decode()
    assert "The campaign Spring is archived: restore it to launch its offers." in refused
    assert Offer.objects.get().launched_at is None


@pytest.mark.parametrize("role,allowed", [("csr", False), ("sales", False), ("marketing", True), ("manager", True)])
def test_only_marketing_and_managers_edit_and_archive_campaigns(users, role, allowed):
    campaign = Campaign.objects.create(name="Spring")
    client = signed_in_client(users[role])
    assert client.get(f"/campaigns/{campaign.pk}/").status_code == (200 if allowed else 403)
    assert client.post(f"/campaigns/{campaign.pk}/archive/").status_code == (302 if allowed else 403)
    campaign.refresh_from_db()
    assert campaign.archived is allowed
    assert client.get(f"/campaigns/{campaign.pk}/archive/").status_code == (405 if allowed else 403)


def test_the_campaign_list_costs_the_same_few_queries_however_many_offers(users, django_assert_max_num_queries):
    for n in range(6):
        live_offer(f"CODE{n}")
    client = signed_in_client(users["marketing"])
    with django_assert_max_num_queries(8):
        response = client.get("/campaigns/")
    assert response.content.decode().count("$100.00") == 6


def test_an_unsaved_row_removed_before_saving_is_neither_saved_nor_shown_again(users):
    client = signed_in_client(users["marketing"])
    removed = {"placements-TOTAL_FORMS": "2", "placements-1-outlet": "Half typed", "placements-1-DELETE": "on"}
    refused = client.post("/offers/new/", offer_form(Campaign.objects.create(name="Fall"), headline="", **removed))
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Half typed" not in html and html.count("This field is required.") == 1  # the headline's
    assert client.post("/offers/new/", offer_form(Campaign.objects.get(), **removed)).status_code == 302
    assert list(Offer.objects.get().placements.values_list("outlet", flat=True)) == ["KXYZ"]
