"""Domain errors that services raise and the API maps to HTTP answers in one place."""


class Conflict(Exception):
    """The request is valid but the state forbids it (HTTP 409). `missing` lists unmet criteria."""

    def __init__(self, detail: str, missing: list[str] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.missing = missing or []
