"""The OpenAPI schema's shared parts: every operation documents the error answers it can give
(CONTRACT "Errors"), with one `Error` body, so clients and Schemathesis know them all."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent

ERROR_SCHEMA = {
    "type": "object",
    "description": 'Either {"detail": "..."} (with "missing" for unmet criteria) or field errors: '
    '{"field": ["message", ...]}.',
    "properties": {
        "detail": {"type": "string"},
        "missing": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": {},
}

DESCRIPTIONS = {
    "400": "Bad input: field errors or a detail.",
    "401": "Not signed in: no, or a bad, token or form key.",
    "403": "Signed in, but the role may not do this.",
    "404": "No such row among those the caller may see (or no such page).",
    "405": "The method is not allowed on this path.",
    "409": "The state forbids it; `missing` lists unmet criteria.",
    "413": "The body is too large.",
    "414": "The query string is longer than 4,096 bytes.",
    "415": "The body's media type is not accepted.",
    "429": "Throttled: see Retry-After.",
    "503": "The database is out of reach for a moment: nothing was done; try again after Retry-After seconds.",
}


class CRMAutoSchema(AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        component = ResolvedComponent(name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA)
        registry.register_on_missing(component)
        responses = operation.setdefault("responses", {})
        for code in self._error_codes(method):
            responses.setdefault(
                code,
                {"description": DESCRIPTIONS[code], "content": {"application/json": {"schema": component.ref}}},
            )
        return operation

    def _error_codes(self, method: str) -> list[str]:
        view = self.view
        codes = ["400"]  # any operation: a bad query parameter, NUL in the query string
        if view.get_authenticators() and not _allows_anyone(view):
            codes += ["401", "403"]
        codes += ["404", "405", "414"]
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            codes.append("409")
        if method in ("POST", "PUT", "PATCH"):
            codes += ["413", "415"]
        if view.throttle_classes:
            codes.append("429")
        codes.append("503")  # any operation, while the database is out of reach
        return codes


def _allows_anyone(view) -> bool:
    from rest_framework.permissions import AllowAny

    return any(isinstance(permission, AllowAny) for permission in view.get_permissions())
