"""Domain errors that services raise and the API maps to HTTP answers in one place."""


class Conflict(Exception):
    """The request is valid but the state forbids it (HTTP 409). `missing` lists unmet criteria."""

    def __init__(self, detail: str, missing: list[str] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.missing = missing or []


def error_text(exc: Exception) -> str:
    """Every reason of a refusal (a Conflict, or a Django ValidationError of any shape) as one
    line, for a page's message or a command's error."""
    if isinstance(exc, Conflict):
        return exc.detail
    return " ".join(getattr(exc, "messages", [str(exc)]))
