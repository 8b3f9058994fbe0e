"""The home page and the pipeline board in a real browser: a card moved by keyboard alone ("Move
to" and the dialog), a card dragged, a refusal read out in words, and a phone's width where the
columns scroll inside their box and the page never sideways."""

import os
import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from leads.kinds import Stage
from leads.models import Lead
from tests.browser.steps import log_in
from tests.browser.test_accessibility import violations
from tests.desk.builders import closed, named, sales_ready
from tests.factories import LeadFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("CRM_SCREENSHOTS", "")  # a folder: the pages are saved there to look at


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def card(page: Page, lead):
    return page.locator(f"#card-{lead.pk}")


def drag(page: Page, lead, stage: str) -> None:
    """Drag a card by its edge (where a hand grabs it) onto a column."""
    card(page, lead).drag_to(page.get_by_test_id(f"column-{stage}"), source_position={"x": 4, "y": 4})


def test_a_salesperson_moves_cards_by_keyboard_and_by_drag(live_server, page: Page):
    rep = make_user("rep_board", "sales")
    unclosed = closed(Stage.UNCLOSED, by=rep, **named("Uma", "Unclosed"), estimated_value=Decimal("500"))
    ready = sales_ready(owner=rep, **named("Rita", "Ready"), estimated_value=Decimal("1200"))
    dragged = sales_ready(owner=rep, **named("Dora", "Dragged"))

    log_in(page, live_server, "rep_board")
    page.get_by_role("link", name="Pipeline").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pipeline")
    page.wait_for_load_state("load")
    status = page.get_by_test_id("board-status")
    shot(page, "pipeline-sales-1280")

    # By keyboard: choose where the card goes and press the Move button; no dialog is needed.
    select = card(page, unclosed).get_by_label("Move to")
    select.focus()
    select.select_option("sales_ready")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Uma Unclosed is sales-ready.")
    expect(page.get_by_test_id("column-sales_ready")).to_contain_text("Uma Unclosed")
    expect(page.get_by_test_id("count-sales_ready")).to_have_text("3")
    expect(card(page, unclosed)).to_be_focused()  # the keyboard stays with the card it moved
    assert Lead.objects.get(pk=unclosed.pk).stage == Stage.SALES_READY

    # By keyboard to won: the dialog asks the amount, the focus is in it, Enter sends it.
    select = card(page, ready).get_by_label("Move to")
    select.focus()
    select.select_option("won")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Move Rita Ready to Won")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Amount of the sale")).to_be_focused()
    page.keyboard.press("Enter")  # nothing typed: the dialog says what it needs and stays
    expect(dialog.get_by_role("alert")).to_have_text("Give the sale's amount (a number, 0 or more).")
    page.keyboard.type("1500")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(status).to_have_text("Rita Ready closed won.")
    expect(page.get_by_test_id("column-won")).to_contain_text("Rita Ready")
    expect(page.get_by_test_id("value-won")).to_have_text("$1,500.00")
    lead = Lead.objects.get(pk=ready.pk)
    assert (lead.stage, lead.won_amount) == (Stage.WON, Decimal("1500.00"))

    # By drag: onto the dead column, which asks why.
    drag(page, dragged, "dead")
    dialog = page.get_by_role("dialog", name="Move Dora Dragged to Dead")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Why? Marketing learns from it.").fill("Chose a competitor")
    dialog.get_by_role("button", name="Move").click()
    expect(status).to_have_text("Dora Dragged moved to dead.")
    expect(page.get_by_test_id("board")).not_to_contain_text("Dora Dragged")
    lead = Lead.objects.get(pk=dragged.pk)
    assert (lead.stage, lead.lost_reason) == (Stage.DEAD, "Chose a competitor")

    # A column a card may not go to says so in words (a won card does not even lift).
    drag(page, unclosed, "inquiry")
    expect(status).to_have_text("Uma Unclosed cannot move from Sales-ready to Inquiry on the board.")
    expect(card(page, ready)).not_to_have_attribute("draggable", "true")


def test_a_refused_drag_says_why_and_the_card_stays(live_server, page: Page):
    make_user("boss_board", "manager")
    inquiry = LeadFactory(**named("Ines", "Inquiry"))

    log_in(page, live_server, "boss_board")
    page.goto(f"{live_server.url}/pipeline/")
    page.wait_for_load_state("load")
    drag(page, inquiry, "sales_ready")
    dialog = page.get_by_role("dialog", name="Move Ines Inquiry to Sales-ready")
    expect(dialog.get_by_label("Hand it to")).to_be_focused()  # a manager may name the salesperson
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Move")).to_be_focused()
    page.keyboard.press("Enter")
    status = page.get_by_test_id("board-status")
    expect(status).to_have_text(
        "Not sales-ready yet: needs a score of at least 60 (now 0), why they inquired, the result they want."
    )
    expect(status).to_have_class(re.compile("refused"))
    expect(page.get_by_test_id("column-inquiry")).to_contain_text("Ines Inquiry")
    expect(card(page, inquiry).get_by_label("Move to")).to_be_focused()
    assert Lead.objects.get(pk=inquiry.pk).stage == Stage.INQUIRY


@pytest.mark.parametrize("role", ["csr", "sales", "marketing", "manager"])
def test_the_home_page_and_the_board_fit_a_phone(live_server, page: Page, role):
    user = make_user(f"{role}_phone", role)
    rep = user if role == "sales" else make_user("rep_phone", "sales")
    for first in ("Ada", "Bea", "Cal"):
        sales_ready(owner=rep, **named(first, "Longsurname-Hyphenated"), estimated_value=Decimal("1000"))
    closed(Stage.UNCLOSED, by=rep, **named("Uma", "Unclosed"))
    closed(Stage.WON, by=rep, amount="900", **named("Walt", "Won"))
    page.set_viewport_size({"width": 390, "height": 844})

    log_in(page, live_server, user.username)
    shot(page, f"home-{role}-390")
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the home page scrolls {overflow}px sideways at 390 px"
    if role == "csr":
        return  # no board
    page.goto(f"{live_server.url}/pipeline/?show=team")
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the board scrolls the page {overflow}px sideways at 390 px"
    shot(page, f"pipeline-{role}-390")
    board = page.get_by_test_id("board")
    assert board.evaluate("b => b.scrollWidth > b.clientWidth"), "the columns scroll inside their box"
    expect(page.get_by_test_id("column-sales_ready")).to_contain_text("Ada Longsurname-Hyphenated")
    board.evaluate("b => b.scrollLeft = b.scrollWidth")
    expect(page.get_by_test_id("column-dead")).to_be_in_viewport()


def test_the_board_with_its_dialog_open_and_the_move_page_pass_axe(live_server, page: Page):
    """The crawl in test_accessibility.py checks the board as each role reaches it; the dialog and
    the move's own page (reached by a form, not a link) are checked here."""
    make_user("boss_axe", "manager")
    rep = make_user("rep_axe", "sales")
    lead = sales_ready(owner=rep, **named("Ava", "Axe"), estimated_value=Decimal("100"))

    log_in(page, live_server, "boss_axe")
    page.goto(f"{live_server.url}/pipeline/")
    page.wait_for_load_state("load")
    select = card(page, lead).get_by_label("Move to")
    select.select_option("won")
    card(page, lead).get_by_role("button", name="Move").click()
    expect(page.get_by_role("dialog", name="Move Ava Axe to Won")).to_be_visible()
    assert violations(page) == []
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(select).to_be_focused()  # back where the keyboard was

    for to in ("won", "dead", "sales_ready"):
        page.goto(f"{live_server.url}/pipeline/{lead.pk}/move/form/?to={to}")
        if to == "sales_ready":  # not a move a sales-ready card offers: back to the board, saying so
            expect(page).to_have_url(re.compile(r"/pipeline/\?show="))
            expect(page.get_by_text("cannot move to Sales-ready")).to_be_visible()
        assert violations(page) == [], to
