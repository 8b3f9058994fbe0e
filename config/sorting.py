"""Sortable column headers, one rule for every table that has them (the lead list, the
scoreboard's sources): a click on the current column reverses it, a click on another column
sorts by it in its natural first direction, and the header says which way it runs (aria-sort)."""


def header_sort(column: str, current: str, *, first_descending: bool = True) -> tuple[str, str]:
    """The ordering a click on `column`'s header asks for ("-score" or "score"), and the
    header's aria-sort ("ascending", "descending", or "" when the table is sorted by another)."""
    if current == column:
        return f"-{column}", "ascending"
    if current == f"-{column}":
        return column, "descending"
    return (f"-{column}" if first_descending else column), ""
