"""CSV that a spreadsheet reads safely: every export (the lead list, the scoreboard) writes its
cells through `csv_cell`, so text that would run as a formula (CSV injection) cannot."""

import csv
import re
from datetime import datetime
from decimal import Decimal

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A signed number or an E.164 phone (+15551234567, -12.50) runs as nothing but itself: it is left as
# written, so a phone column does not come out as '+1555… in every tool that reads the file.
PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def csv_cell(value) -> str:
    """One cell as a spreadsheet should read it: text that could run as a formula gets a leading
    apostrophe, money is a plain number (1234.50), a time is ISO 8601 with its zone."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return f"'{text}"
    return text


class Line:
    """csv.writer writes into this and hands the line back, so rows stream one at a time."""

    def write(self, line: str) -> str:
        return line


def csv_lines(header: list[str], rows):
    """The header (after a BOM, which tells Excel it is UTF-8) and one line per row."""
    writer = csv.writer(Line())
    yield "\ufeff" + writer.writerow(header)
    for row in rows:
        yield writer.writerow([csv_cell(cell) for cell in row])
