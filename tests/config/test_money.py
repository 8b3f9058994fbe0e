"""One reader of typed amounts (config.money): the pipeline calculator and a list import's price
take "$1,000,000" alike (the calculator refused it while the import took "$450.00")."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from config.money import NotAnAmount, parse_money
from imports.fields import as_price
from tests.factories import signed_in_client

TYPED = {
    "$1,000,000": Decimal("1000000"),
    "1,000,000.00": Decimal("1000000.00"),
    "1 000 000": Decimal("1000000"),
    "€450": Decimal("450"),
    "$450.00": Decimal("450.00"),
    "450 USD": Decimal("450"),
    "CA$1,200": Decimal("1200"),
    " 1250.5 ": Decimal("1250.5"),
}


@pytest.mark.parametrize(("typed", "amount"), TYPED.items())
def test_amounts_read_as_people_type_them(typed, amount):
    assert parse_money(typed) == amount


@pytest.mark.parametrize("typed", ["ten", "1.2.3", "1,23", "NaN", "1e400", "$", "12abc", "--5"])
def test_what_is_not_an_amount_is_refused(typed):
    with pytest.raises(NotAnAmount):
        parse_money(typed)


def test_nothing_typed_is_no_amount():
    assert parse_money("") is None and parse_money("  ") is None and parse_money(None) is None


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["$1,000,000", "1,000,000.00", "€1 000 000"])
def test_the_calculator_and_the_import_read_the_same_amounts(users, typed):
    client = signed_in_client(users["sales"])
    figures = client.get("/api/v1/reports/pipeline/", {"target": typed, "close_rate": "0.1", "avg_deal": "$5,000"})
    assert figures.status_code == 200, figures.content
    assert figures.json()["pipeline_needed"] == "10000000.00" and figures.json()["leads_needed"] == 2000
    page = client.get("/reports/calculator/", {"target": typed, "close_rate_percent": "10"}).content.decode()
    assert "$10,000,000.00" in page
    assert as_price(typed) == Decimal("1000000")


@pytest.mark.django_db
def test_the_calculator_says_how_to_write_an_amount_it_cannot_read(users):
    html = signed_in_client(users["sales"]).get("/reports/calculator/", {"target": "a million"}).content.decode()
    assert "Give an amount, e.g. 1,000,000 or $1,000,000." in html
    with pytest.raises(ValidationError):
        as_price("a million")
