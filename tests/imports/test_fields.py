"""The pure half of an import: header guesses, and each cell checked like a capture."""

import random

import pytest
from django.core.exceptions import ValidationError

from crm.normalize import normalize_phone
from imports.fields import as_price, check_mapping, clean_row, fast_phone, guess_mapping, split_name


def test_headers_are_guessed_in_any_spelling():
    header = [
        "E-Mail Address",
        "FIRST NAME",
        "last_name",
        "Mobile Phone",
        "Company Name",
        "Job Title",
        "Zip Code",
        "Notes",
    ]
    assert guess_mapping(header) == ["email", "first_name", "last_name", "phone", "company", "title", "postal_code", ""]
    assert guess_mapping(["Email", "Email"]) == ["email", ""]  # a field once


def test_a_mapping_needs_an_email_or_phone_column_and_each_field_once():
    assert check_mapping(["email", ""]) == {}
    assert "Map a column" in check_mapping(["first_name"])["mapping"][0]
    assert "Two columns go to" in check_mapping(["email", "email"])["mapping"][0]
    assert "Unknown field" in check_mapping(["email", "shoe_size"])["mapping"][0]


def test_a_row_is_normalized_like_a_capture():
    header = ["Name", "Email", "Phone", "Company", "Employees", "Country", "Street", "City", "State", "Zip", "DNC"]
    mapping = ["full_name", "email", "phone", "company", "head_count", "country", "street", "city", "region"]
    mapping += ["postal_code", "do_not_contact"]
    cells = ["Lee, Ann", " Ann@Example.COM ", "555.010.0001", " Acme ", "1,200", "USA", "1 Main", "Dayton", "OH"]
    cells += ["45402", "yes"]
    row, problems = clean_row(cells, line=7, header=header, mapping=mapping)
    assert problems == []
    assert row.contact == {
        "first_name": "Ann",
        "last_name": "Lee",
        "email": "ann@example.com",
        "phone": "+15550100001",
        "do_not_contact": True,
        "mailing_address": "1 Main\nDayton, OH 45402\nUS",
    }
    assert row.company == {
        "name": "Acme",
        "city": "Dayton",
        "region": "OH",
        "country": "US",
        "postal_code": "45402",
        "head_count": 1200,
        "size_band": "1000+",
    }


@pytest.mark.parametrize(
    "cell,message",
    [
        ('=HYPERLINK("x")', "formula"),
        ("@SUM(A1)", "formula"),
        ("+cmd|' /C calc'!A0", "formula"),
        ("-2+3", "formula"),
        ("x" * 101, "Longer than 100"),
        ("bad\x00", "NUL"),
        ("Ren\udce9", "not text"),
    ],
)
def test_a_bad_cell_is_refused_with_its_reason(cell, message):
    _row, problems = clean_row(
        [cell, "a@example.com"], line=2, header=["First", "Email"], mapping=["first_name", "email"]
    )
    assert len(problems) == 1 and problems[0].column == "First" and message in problems[0].message


@pytest.mark.parametrize(
    "kind,cell,message",
    [
        ("head_count", "about 50", "whole number"),
        ("size_band", "huge", "Use one of"),
        ("country", "Atlantis", "two-letter"),
        ("consent", "maybe", "yes or no"),
        ("phone", "=1+2", "formula"),
        ("phone", "12", "valid phone"),
        ("email", "ann@", "valid e-mail"),
    ],
)
def test_each_kind_of_cell_is_checked(kind, cell, message):
    _row, problems = clean_row([cell, "a@example.com"], line=2, header=["X", "Email2"], mapping=[kind, "email"])
    if kind == "email":
        _row, problems = clean_row([cell], line=2, header=["X"], mapping=["email"])
    assert problems and message in problems[0].message, problems


def test_split_names_and_prices():
    assert split_name("Mary Ann Smith") == ("Mary Ann", "Smith")
    assert split_name("Smith") == ("", "Smith")
    assert as_price("$1,250.5") == as_price("1250.50")
    for bad in ("abc", "-1", "1.234", "NaN", "1e12"):
        with pytest.raises(ValidationError):
            as_price(bad)


def test_the_fast_phone_path_answers_exactly_as_normalize_phone(settings):
    """The fast path must never disagree with crm.normalize: thousands of numbers written the
    ways lists write them, some not numbers at all."""
    rng = random.Random(12)
    shapes = [
        "({a}) {b}-{c}",
        "{a}-{b}-{c}",
        "{a}.{b}.{c}",
        "{a} {b} {c}",
        "{a}{b}{c}",
        "+1 {a} {b} {c}",
        "+1{a}{b}{c}",
        "1 ({a}) {b}-{c}",
        "1-{a}-{b}-{c}",
        "+1 ({a}) {b}-{c}",
        "({a} {b}-{c}",
        "{a}) {b} {c}",
        "1{a}{b}{c}",
        "+1-{a}-{b}-{c}",
        "{a} {b}{c}",
    ]
    for region in ("US", "CA"):
        settings.CRM_DEFAULT_PHONE_REGION = region
        for _ in range(3000):
            area = f"{rng.randint(0, 999):03d}"
            text = rng.choice(shapes).format(a=area, b=f"{rng.randint(0, 999):03d}", c=f"{rng.randint(0, 9999):04d}")
            try:
                expected = normalize_phone(text)
            except ValidationError:
                expected = None
            try:
                got = fast_phone(text)
            except ValidationError:
                got = None
            assert got == expected, (region, text)
