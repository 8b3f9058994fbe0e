"""Amounts of money as people type them, one reader for every place that takes one (the
pipeline calculator, a bought list's price in an import): "$1,000,000", "1 000 000", "450.00",
"€450", "450 USD", "CA$1,200". A currency mark or code before or after the number and thousands
separators (commas, spaces) are dropped; a point is the decimal point. Whoever reads the
amount decides what range it may take. And the one writer of an amount for people
(`format_money`: "$1,234.50", "1,234.50 CHF"), for pages and messages alike."""

import re
from decimal import Decimal, InvalidOperation

from django.conf import settings

# What may stand before or after the number: a currency's symbol or its ISO code (upper case).
_CURRENCY = re.compile(r"^(?:[A-Z]{3}|[A-Z]{0,2}[$€£¥₹])\s*|\s*(?:[A-Z]{3}|[$€£¥₹])$")
_SEPARATORS = re.compile(r"(?<=\d)[,\s\u00a0\u202f](?=\d{3}(?:\D|$))")
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)")


class NotAnAmount(ValueError):
    """The text is not an amount of money."""


def parse_money(value) -> Decimal | None:
    """The amount in `value` (text or a number), None when nothing was typed; NotAnAmount when
    it is not an amount ("ten", "1.2.3", "NaN", "1e400")."""
    if value is None:
        return None
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        amount = Decimal(str(value))
    else:
        text = str(value).strip()
        if not text:
            return None
        sign = "-" if text[:1] in "-−" else ""
        text = text[1:].strip() if sign else text
        for _ in range(2):  # a mark before and a code after: "$450 USD"
            text = _CURRENCY.sub("", text, count=1).strip()
        text = _SEPARATORS.sub("", text)
        if not _NUMBER.fullmatch(sign + text):
            raise NotAnAmount(value)
        try:
            amount = Decimal(sign + text)
        except InvalidOperation:
            raise NotAnAmount(value) from None
    if not amount.is_finite():
        raise NotAnAmount(value)
    return amount


# Currencies written before the amount; any other ISO code is written after it ("1,200.00 CHF").
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CAD": "CA$", "AUD": "A$"}


def format_money(amount, currency: str | None = None) -> str:
    """`1234.5` → `$1,234.50` (or `1,234.50 CHF`); blank for no amount."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    currency = (currency or settings.CRM_CURRENCY).upper()
    digits = f"{abs(value):,.2f}"
    sign = "−" if value < 0 else ""
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {currency}"
