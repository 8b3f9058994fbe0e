"""What a column of a bought list can hold, how its header is recognised, and how each cell is
checked and normalized: the same rules as a capture (crm.normalize), one row at a time, with no
database. `clean_row` is the one function the preview, the all-or-nothing check and the writer
share, so all three judge a row alike.

Formula cells (CSV injection): a name, title, company or address that starts with `=`, `+`, `-`
or `@` is refused with the row's other problems (a spreadsheet would run it when the list is
exported); a cell of dashes only is read as empty (lists use `-` for "none"). An e-mail that
starts so is refused too; a phone may start with `+` (it is stored in E.164). What is stored is
the text as given (trimmed), and every export writes it through config.spreadsheet.csv_cell.
A cell other than the street address that holds a line break or a control character is refused
(a quoted cell may run over lines; a name must not): config.text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError

from config.money import NotAnAmount, parse_money
from config.text import clean_text, validate_one_line
from crm.models import SizeBand
from crm.normalize import normalize_email, normalize_phone


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    max_length: int | None = None
    kind: str = "text"  # text, email, phone, name, flag, count, band, country
    headers: tuple[str, ...] = ()  # header spellings it is guessed from (compared squashed: "E-mail" → "email")
    company: bool = False  # a fact of the contact's company rather than of the person


FIELDS: tuple[Field, ...] = (
    Field("first_name", "First name", 100, headers=("firstname", "first", "givenname", "forename", "fname")),
    Field("last_name", "Last name", 100, headers=("lastname", "last", "surname", "familyname", "lname")),
    Field("full_name", "Full name (split into first and last)", 200, "name", ("name", "fullname", "contactname")),
    Field("email", "E-mail", 254, "email", ("email", "emailaddress", "mail", "emailid", "courriel")),
    Field(
        "phone",
        "Phone",
        40,
        "phone",
        ("phone", "phonenumber", "telephone", "tel", "mobile", "cell", "cellphone", "mobilephone", "workphone"),
    ),
    Field("title", "Job title", 150, headers=("title", "jobtitle", "position", "role", "designation")),
    Field("persona", "Persona", 100, headers=("persona", "segment", "buyertype")),
    Field(
        "street",
        "Street address",
        300,
        headers=("address", "street", "address1", "streetaddress", "mailingaddress", "addressline1", "addr"),
    ),
    Field("city", "City", 100, headers=("city", "town", "locality")),
    Field("region", "State or province", 100, headers=("state", "province", "region", "county", "stateprovince")),
    Field("postal_code", "Postal code", 20, headers=("zip", "zipcode", "postalcode", "postcode", "zip5")),
    Field("country", "Country (two letters)", 60, "country", ("country", "countrycode", "nation")),
    Field(
        "company",
        "Company",
        200,
        headers=("company", "companyname", "organization", "organisation", "business", "businessname", "employer"),
        company=True,
    ),
    Field(
        "industry_code",
        "Industry code (NAICS or SIC)",
        10,
        headers=("sic", "siccode", "naics", "naicscode", "industrycode", "industry"),
        company=True,
    ),
    Field("size_band", "Company size band", None, "band", ("sizeband", "size", "companysize", "employeerange"), True),
    Field(
        "head_count",
        "Employees",
        None,
        "count",
        ("employees", "headcount", "numberofemployees", "employeecount", "staff", "noofemployees"),
        True,
    ),
    Field("consent", "Consent to marketing (yes/no)", None, "flag", ("consent", "optin", "optedin", "emailoptin")),
    Field(
        "do_not_contact",
        "Do not contact (yes/no)",
        None,
        "flag",
        ("donotcontact", "dnc", "donotcall", "optout", "optedout", "unsubscribed"),
    ),
)
BY_KEY = {f.key: f for f in FIELDS}
FIELD_CHOICES = [("", "Do not import")] + [(f.key, f.label) for f in FIELDS]
FORMULA_STARTS = ("=", "+", "-", "@")
MAX_HEAD_COUNT = 10_000_000
YES = {"yes", "y", "true", "t", "1", "x", "on", "oui", "si", "ja"}
NO = {"no", "n", "false", "f", "0", "off", "non", "nein", ""}
COUNTRY_NAMES = {
    "usa": "US",
    "unitedstates": "US",
    "unitedstatesofamerica": "US",
    "us": "US",
    "america": "US",
    "canada": "CA",
    "uk": "GB",
    "unitedkingdom": "GB",
    "greatbritain": "GB",
    "england": "GB",
    "mexico": "MX",
    "australia": "AU",
    "germany": "DE",
    "france": "FR",
    "ireland": "IE",
}


def _band_key(text: str) -> str:
    return re.sub(r"[\s,]", "", text).replace("–", "-").replace("—", "-")


_BANDS = {_band_key(value): value for value in SizeBand.values}
_SQUASH = re.compile(r"[^a-z0-9]")
_DASHES = re.compile(r"^[-–—\s]+$")


_NANP = re.compile(r"(\+?1[ .-]?)?\(?([2-9]\d{2})\)?[ .-]?(\d{3})[ .-]?(\d{4})")
_UNREADABLE = re.compile("[\x00\udc80-\udcff]")  # NUL, or a byte the encoding has no character for


def fast_phone(text: str) -> str:
    """crm.normalize.normalize_phone, with a fast path for the plain North American numbers most
    lists hold ("(555) 010-0001", "555.010.0001", "+1 555 010 0001"): the same E.164 answer
    (tests/imports/test_fields.py checks them against each other) in a twentieth of the time."""
    if settings.CRM_DEFAULT_PHONE_REGION in ("US", "CA") and (match := _NANP.fullmatch(text)):
        return "+1" + match.group(2) + match.group(3) + match.group(4)
    return normalize_phone(text)


def squash(header: str) -> str:
    return _SQUASH.sub("", (header or "").lower())


def guess_mapping(header: list[str]) -> list[str]:
    """The field each column most likely holds ('' for none), each field used at most once:
    an exact spelling first ("E-mail", "Zip code"), then a spelling the header contains
    ("Work e-mail", "Business phone")."""
    guesses = [""] * len(header)
    used = set()
    squashed = [squash(name) for name in header]
    for exact in (True, False):
        for i, name in enumerate(squashed):
            if guesses[i] or not name:
                continue
            for f in FIELDS:
                if f.key in used:
                    continue
                hit = name in f.headers if exact else any(len(h) >= 4 and h in name for h in f.headers)
                if hit:
                    guesses[i] = f.key
                    used.add(f.key)
                    break
    return guesses


def check_mapping(mapping: list[str]) -> dict[str, list[str]]:
    """Field errors of a mapping (the field of each column): known fields, each used once, and
    a column for e-mail or phone (what dedupe and a capture need)."""
    errors = []
    unknown = sorted({key for key in mapping if key and key not in BY_KEY})
    if unknown:
        errors.append(f"Unknown field {', '.join(unknown)}: use one of {', '.join(BY_KEY)}.")
    seen = set()
    for key in mapping:
        if key and key in seen:
            errors.append(f"Two columns go to {BY_KEY[key].label if key in BY_KEY else key}: choose one.")
        seen.add(key)
    if "email" not in mapping and "phone" not in mapping:
        errors.append("Map a column to E-mail or to Phone: every contact needs one, and duplicates are found by them.")
    return {"mapping": errors} if errors else {}


@dataclass
class Problem:
    column: str | None  # the header of the cell at fault; None for the whole row
    message: str


@dataclass
class CleanRow:
    """A row as it would be imported: the contact's fields and its company's (only those given)."""

    line: int
    contact: dict = field(default_factory=dict)
    company: dict = field(default_factory=dict)

    @property
    def email(self) -> str:
        return self.contact.get("email", "")

    @property
    def phone(self) -> str:
        return self.contact.get("phone", "")


def _text(f: Field, value: str) -> str:
    if _DASHES.match(value):
        return ""
    if value.startswith(FORMULA_STARTS) and f.kind != "phone":
        raise ValidationError(f"Starts with “{value[0]}”, so a spreadsheet would run it as a formula.")
    if f.max_length and len(value) > f.max_length:
        raise ValidationError(f"Longer than {f.max_length} characters ({len(value)}).")
    return value


def _clean_cell(f: Field, value: str):
    """The cell's value for `f`, or ValidationError with the reason."""
    if _UNREADABLE.search(value):
        if "\x00" in value:
            raise ValidationError("Holds a NUL character.")
        raise ValidationError("Holds bytes that are not text in the file's encoding.")
    value = value.strip()
    if f.key == "street":
        value = clean_text(value)  # an address may run over two lines
    else:
        validate_one_line(value)  # a quoted cell may hold a line break: never in a name (config.text)
    if f.kind == "flag":
        word = value.lower()
        if word in YES:
            return True
        if word in NO:
            return False
        raise ValidationError("Write yes or no.")
    if f.kind == "count":
        if not value:
            return None
        digits = value.replace(",", "").replace(" ", "").replace("_", "")
        if not digits.isdigit() or int(digits) > MAX_HEAD_COUNT:
            raise ValidationError("Give a whole number of employees.")
        return int(digits)
    if f.kind == "band":
        if not value:
            return ""
        band = _BANDS.get(_band_key(value))
        if band is None:
            raise ValidationError(f"Use one of {', '.join(SizeBand.values)}.")
        return band
    value = _text(f, value)
    if not value:
        return ""
    if f.kind == "email":
        try:
            return normalize_email(value)
        except ValidationError:
            raise ValidationError("Enter a valid e-mail address.") from None
    if f.kind == "phone":
        if value.startswith(("=", "@")) or (value.startswith("-") and not value[1:2].isdigit()):
            raise ValidationError(f"Starts with “{value[0]}”, so a spreadsheet would run it as a formula.")
        return fast_phone(value)
    if f.kind == "country":
        code = value.upper() if len(value) == 2 and value.isalpha() else COUNTRY_NAMES.get(squash(value))
        if code is None:
            raise ValidationError("Give the two-letter country code (US, CA, GB…).")
        return code
    return value


def split_name(full: str) -> tuple[str, str]:
    """ "Ada Lovelace" → (Ada, Lovelace); "Lovelace, Ada" → (Ada, Lovelace); one word is a last name."""
    if "," in full:
        last, _, first = full.partition(",")
        return first.strip(), last.strip()
    first, _, last = full.rpartition(" ")
    return first.strip(), last.strip()


def band_for(head_count: int) -> str:
    for limit, band in ((9, "1-9"), (49, "10-49"), (249, "50-249"), (999, "250-999")):
        if head_count <= limit:
            return band
    return "1000+"


def mailing_address(values: dict) -> str:
    """Street, then "City, Region Postal", then country, as a letter is addressed."""
    town = " ".join(part for part in (values.get("region", ""), values.get("postal_code", "")) if part)
    town = ", ".join(part for part in (values.get("city", ""), town) if part)
    return "\n".join(part for part in (values.get("street", ""), town, values.get("country", "")) if part)


def clean_row(cells: list[str], *, line: int, header: list[str], mapping: list[str]) -> tuple[CleanRow, list[Problem]]:
    """Check and normalize one row. Returns the row as it would be imported and its problems
    (none: it can be imported). A row with the wrong number of cells is one problem."""
    row = CleanRow(line=line)
    if len(cells) != len(header):
        many = "many" if len(cells) > len(header) else "few"
        return row, [Problem(None, f"Too {many} cells: {len(cells)}, where the header has {len(header)}.")]
    problems = []
    values = {}
    for i, key in enumerate(mapping):
        if not key:
            continue
        try:
            values[key] = _clean_cell(BY_KEY[key], cells[i])
        except ValidationError as exc:
            problems.append(Problem(header[i], " ".join(exc.messages)))
    contact, company = row.contact, row.company
    for key in ("first_name", "last_name", "title", "persona", "email", "phone"):
        if values.get(key):
            contact[key] = values[key]
    if values.get("full_name"):
        first, last = split_name(values["full_name"])
        contact.setdefault("first_name", first[:100])
        contact.setdefault("last_name", last[:100])
    for key in ("consent", "do_not_contact"):
        if values.get(key):
            contact[key] = True
    address = mailing_address(values)
    if address:
        contact["mailing_address"] = address
    if values.get("company"):
        company["name"] = values["company"]
        for key in ("industry_code", "size_band", "city", "region", "country", "postal_code"):
            if values.get(key):
                company[key] = values[key]
        if values.get("head_count") is not None:
            company["head_count"] = values["head_count"]
            company.setdefault("size_band", band_for(values["head_count"]))
    if not problems and not contact.get("email") and not contact.get("phone"):
        column = next((header[i] for i, key in enumerate(mapping) if key in ("email", "phone")), None)
        problems.append(Problem(column, "Give an e-mail address or a phone number."))
    return row, problems


def as_price(value) -> Decimal | None:
    """The list's price as typed ("1,250.00", "$1250"; config.money reads it), or ValidationError."""
    try:
        price = parse_money(value)
    except NotAnAmount:
        raise ValidationError("Give the price as a number, e.g. 1250.00.") from None
    if price is None:
        return None
    if price < 0 or price >= Decimal("1e10") or price != price.quantize(Decimal("0.01")):
        raise ValidationError("Give a price from 0 to 9,999,999,999.99, with at most two decimals.")
    return price
