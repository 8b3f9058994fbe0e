"""The pipeline board (`/pipeline/`): whose leads it shows, its columns with their counts and
estimated values, moving a card through the services (moves that succeed, moves refused with
the reason in words, and who may move what), and its query count."""

import html as entities
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.kinds import Stage
from leads.models import Lead, StageChange
from tests.desk.builders import closed, months_ago, named, sales_ready
from tests.factories import LeadFactory, client_for

pytestmark = pytest.mark.django_db


def column(html: str, stage: str) -> str:
    found = re.search(rf'<section[^>]*data-testid="column-{stage}".*?</section>', html, re.S)
    assert found, f"no {stage} column"
    return found.group(0)


def figures(html: str, stage: str) -> tuple[str, str]:
    part = column(html, stage)
    count = re.search(rf'data-testid="count-{stage}">(\d+)<', part).group(1)
    value = re.search(rf'data-testid="value-{stage}">([^<]+)<', part).group(1)
    return count, value


def cards(html: str, stage: str) -> list[str]:
    return re.findall(r'<h3 class="board-card-name"><a [^>]*>([^<]+)</a>', column(html, stage))


def move(client, lead, to, board=True, **fields):
    headers = {"HTTP_X_BOARD": "1"} if board else {}
    return client.post(f"/pipeline/{lead.pk}/move/", {"to": to, **fields}, **headers)


@pytest.fixture
def book(users):
    """A salesperson's leads in every column, the pool, and a colleague's lead."""
    sales, sales2 = users["sales"], users["sales2"]
    return {
        "ready": sales_ready(owner=sales, **named("Rita", "Ready"), estimated_value=Decimal("1000")),
        "ready_unestimated": sales_ready(owner=sales, **named("Nora", "Noestimate")),
        "unclosed": closed(Stage.UNCLOSED, by=sales, **named("Uma", "Unclosed"), estimated_value=Decimal("500")),
        "won": closed(Stage.WON, by=sales, amount="2000", **named("Will", "Won")),
        "won_long_ago": months_ago(closed(Stage.WON, by=sales, amount="9000", **named("Olaf", "Old")), 70),
        "pool": sales_ready(**named("Paula", "Pool"), estimated_value=Decimal("300")),
        "inquiry": LeadFactory(**named("Ines", "Inquiry"), estimated_value=Decimal("50")),
        "colleagues": sales_ready(owner=sales2, **named("Cole", "Colleague"), estimated_value=Decimal("700")),
    }


# --- What the board shows -------------------------------------------------------------------------


def test_a_salespersons_board_is_their_open_leads_and_the_pool_by_stage_with_counts_and_values(users, book):
    html = client_for(users["sales"]).get("/pipeline/").content.decode()

    assert cards(html, "inquiry") == []
    assert sorted(cards(html, "sales_ready")) == ["Nora Noestimate", "Paula Pool", "Rita Ready"]
    assert cards(html, "unclosed") == ["Uma Unclosed"]
    assert cards(html, "won") == ["Will Won"]  # this month's sale; not the one of two months ago
    assert "Cole Colleague" not in html and "Ines Inquiry" not in html
    assert figures(html, "sales_ready") == ("3", "$1,300.00")
    assert "(1 without an estimate)" in column(html, "sales_ready")
    assert "1 of them in the pool, worth $300.00." in column(html, "sales_ready")
    assert figures(html, "unclosed") == ("1", "$500.00")
    assert figures(html, "won") == ("1", "$2,000.00")
    assert "In the pool" in column(html, "sales_ready")
    assert 'class="board-claim"' in column(html, "sales_ready")  # the pool's card is claimed, not moved
    assert "?show=team" not in html  # no team's board for a salesperson
    # Each own card says where it may go, for the keyboard and for the drag.
    ready_card = re.search(rf'id="card-{book["ready"].pk}".*?</li>', html, re.S).group(0)
    assert re.findall(r'<option value="(\w+)">', ready_card) == ["won", "unclosed", "dead"]
    assert 'draggable="true"' in ready_card and "Move to" in ready_card


def test_a_salesperson_cannot_switch_to_the_teams_board(users, book):
    html = client_for(users["sales"]).get("/pipeline/?show=team").content.decode()
    assert "Cole Colleague" not in html and "Ines Inquiry" not in html


def test_a_manager_sees_the_teams_board_and_switches_to_their_own(users, book):
    client = client_for(users["manager"])
    team = client.get("/pipeline/").content.decode()
    assert cards(team, "inquiry") == ["Ines Inquiry"]
    assert "Cole Colleague" in cards(team, "sales_ready")
    assert figures(team, "sales_ready") == ("4", "$2,000.00")
    assert figures(team, "won") == ("1", "$2,000.00")
    assert 'aria-current="page">The team’s' in team
    assert "sales2" in column(team, "sales_ready")  # whose each card is

    mine = client.get("/pipeline/?show=mine").content.decode()
    assert cards(mine, "sales_ready") == [] and figures(mine, "won") == ("0", "$0.00")


def test_marketing_sees_the_team_and_may_only_make_leads_sales_ready(users, book):
    html = client_for(users["marketing"]).get("/pipeline/").content.decode()
    inquiry = re.search(rf'id="card-{book["inquiry"].pk}".*?</li>', html, re.S).group(0)
    assert re.findall(r'<option value="(\w+)">', inquiry) == ["sales_ready"]
    ready = re.search(rf'id="card-{book["ready"].pk}".*?</li>', html, re.S).group(0)
    assert "<select" not in ready  # sales-ready already, and closing is the salesperson's
    assert 'id="dialog-owner"' in html  # marketing names whom it goes to


def test_a_csr_has_no_board(users):
    response = client_for(users["csr"]).get("/pipeline/")
    assert response.status_code == 403
    assert client_for(users["nobody"]).get("/pipeline/").status_code == 403


# --- Moving cards ---------------------------------------------------------------------------------


def test_a_salesperson_closes_their_lead_won_by_moving_its_card(users, book):
    client = client_for(users["sales"])
    response = move(client, book["ready"], "won", amount="1500", upsell_accepted="on", upsell_amount="300")

    assert response.status_code == 200
    lead = Lead.objects.get(pk=book["ready"].pk)
    assert (lead.stage, lead.won_amount, lead.upsell_accepted, lead.score) == ("won", Decimal("1500.00"), True, 100)
    assert lead.upsell_amount == Decimal("300.00")
    html = response.content.decode()
    assert 'data-outcome="moved"' in html and "Rita Ready closed won." in html
    assert "Rita Ready" in cards(html, "won") and "Rita Ready" not in cards(html, "sales_ready")
    assert figures(html, "won") == ("2", "$3,500.00")


def test_moving_to_unclosed_or_dead_asks_why_and_a_won_sale_its_amount(users, book):
    client = client_for(users["sales"])
    response = move(client, book["ready"], "won")
    assert response.status_code == 400
    assert "A won sale needs its amount." in response.content.decode()
    response = move(client, book["ready"], "dead", reason="  ")
    assert response.status_code == 400
    assert "Say why, so marketing can learn from it." in response.content.decode()
    assert Lead.objects.get(pk=book["ready"].pk).stage == Stage.SALES_READY

    response = move(client, book["ready"], "dead", reason="Went with a competitor")
    assert response.status_code == 200
    lead = Lead.objects.get(pk=book["ready"].pk)
    assert (lead.stage, lead.lost_reason) == ("dead", "Went with a competitor")


def test_an_inquiry_that_does_not_qualify_is_refused_with_what_it_lacks(users, book):
    inquiry = book["inquiry"]
    response = move(client_for(users["manager"]), inquiry, "sales_ready")

    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-outcome="refused"' in html
    assert "Not sales-ready yet: needs a score of at least 60 (now 0), why they inquired, the result they want." in html
    assert "Ines Inquiry" in cards(html, "inquiry")  # the card stays where it was
    assert Lead.objects.get(pk=inquiry.pk).stage == Stage.INQUIRY
    assert not StageChange.objects.filter(lead=inquiry, to_stage=Stage.SALES_READY).exists()


def test_an_unclosed_lead_that_qualifies_becomes_sales_ready_again_for_its_salesperson(users, book):
    response = move(client_for(users["sales"]), book["unclosed"], "sales_ready")

    assert response.status_code == 200
    lead = Lead.objects.get(pk=book["unclosed"].pk)
    assert (lead.stage, lead.owner) == (Stage.SALES_READY, users["sales"])
    assert "Uma Unclosed is sales-ready." in response.content.decode()


def test_marketing_hands_an_unclosed_lead_to_another_salesperson_by_moving_it(users, book):
    response = move(client_for(users["marketing"]), book["unclosed"], "sales_ready", owner=users["sales2"].pk)

    assert response.status_code == 200
    lead = Lead.objects.get(pk=book["unclosed"].pk)
    assert (lead.stage, lead.owner, lead.owner_accepted_at) == (Stage.SALES_READY, users["sales2"], None)
    assert "Uma Unclosed is sales-ready and handed to sales2." in response.content.decode()


def test_a_salesperson_cannot_move_someone_elses_lead(users, book):
    client = client_for(users["sales"])
    theirs = book["colleagues"]
    assert move(client, theirs, "won", amount="10").status_code == 404
    assert client.get(f"/pipeline/{theirs.pk}/move/form/?to=won").status_code == 404
    assert Lead.objects.get(pk=theirs.pk).stage == Stage.SALES_READY

    # A pool lead they may see but do not own: claimed first, never closed from the board.
    response = move(client, book["pool"], "won", amount="10")
    assert response.status_code == 409
    assert "Claim this lead, or have it handed to you, before closing it." in response.content.decode()
    assert Lead.objects.get(pk=book["pool"].pk).stage == Stage.SALES_READY


def test_marketing_cannot_close_a_lead_and_a_card_cannot_go_anywhere_else(users, book):
    response = move(client_for(users["marketing"]), book["ready"], "won", amount="10")
    assert response.status_code == 409
    assert "Only the lead's salesperson or a manager closes a lead." in entities.unescape(response.content.decode())
    response = move(client_for(users["sales"]), book["ready"], "inquiry")
    assert response.status_code == 400
    assert "Move a card to sales-ready, won, unclosed or dead." in response.content.decode()
    response = move(client_for(users["sales"]), book["won"], "dead", reason="Changed mind")
    assert response.status_code == 409
    assert "This lead is already closed (won)." in response.content.decode()
    assert Lead.objects.get(pk=book["ready"].pk).stage == Stage.SALES_READY
    assert Lead.objects.get(pk=book["won"].pk).stage == Stage.WON


def test_without_script_a_move_asks_on_its_own_page_and_comes_back_to_the_board(users, book):
    client = client_for(users["sales"])
    page = client.get(f"/pipeline/{book['ready'].pk}/move/form/?to=won&show=mine")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Move Rita Ready to Won" in html and 'name="amount"' in html

    response = move(client, book["ready"], "won", board=False, amount="800", show="mine")
    assert response.status_code == 302 and response["Location"] == "/pipeline/?show=mine"
    board = client.get(response["Location"]).content.decode()
    assert "Rita Ready closed won." in board
    assert Lead.objects.get(pk=book["ready"].pk).won_amount == Decimal("800.00")

    refused = move(client, book["pool"], "dead", board=False, reason="No")
    assert refused.status_code == 302
    assert "Claim this lead, or have it handed to you" in client.get(refused["Location"]).content.decode()

    # A move the card does not offer goes back to the board saying so.
    response = client.get(f"/pipeline/{book['unclosed'].pk}/move/form/?to=unclosed")
    assert response.status_code == 302
    assert "cannot move to Unclosed" in client.get(response["Location"]).content.decode()


def test_a_move_is_a_post(users, book):
    assert client_for(users["sales"]).get(f"/pipeline/{book['ready'].pk}/move/?to=won").status_code == 405


# --- Queries --------------------------------------------------------------------------------------


def test_the_board_reads_a_few_queries_whatever_the_size_of_the_book(users, django_assert_max_num_queries):
    sales, manager = users["sales"], users["manager"]

    def grow(size):
        for _ in range(size):
            sales_ready(owner=sales, estimated_value=Decimal("10"))
            sales_ready()
            closed(Stage.UNCLOSED, by=sales)
            closed(Stage.WON, by=sales, amount="5")
            LeadFactory()

    def count(client, url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    grow(1)
    small = {
        who: count(client_for(user), url)
        for who, user, url in (("sales", sales, "/pipeline/"), ("manager", manager, "/pipeline/?show=team"))
    }
    grow(3)
    manager_client = client_for(manager)
    # The session, the user, their roles, the totals, the four columns, the salespeople one may
    # hand a lead to, the unread count in the top bar.
    with django_assert_max_num_queries(10):
        assert manager_client.get("/pipeline/?show=team").status_code == 200
    assert count(client_for(sales), "/pipeline/") == small["sales"]
    assert count(manager_client, "/pipeline/?show=team") == small["manager"]
