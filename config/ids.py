"""Reading numbers people type: ASCII digits only. str.isdigit() also accepts "²" or "٣",
which int() then refuses with a ValueError (a 500)."""

import re

ID_PATTERN = r"[0-9]{1,18}"  # a row id as a URL or a form may carry it: fits a bigint
_ID = re.compile(ID_PATTERN)
_INT = re.compile(r"-?[0-9]{1,9}")


def parse_id(value) -> int | None:
    """The row id in `value` (an int, or ASCII digits), or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 10**18 else None
    text = str(value).strip() if value is not None else ""
    return int(text) if _ID.fullmatch(text) else None


def parse_int(value) -> int | None:
    """A whole number of at most nine digits, optionally negative, or None."""
    text = str(value).strip() if value is not None else ""
    return int(text) if _INT.fullmatch(text) else None
