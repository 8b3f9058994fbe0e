"""Request bodies the API accepts, checked before any view runs.

Python's JSON decoder recurses once per nesting level, so a 4 KB body nested 2,000 deep ends
in RecursionError, and PostgreSQL refuses NUL characters in text and in jsonb. Both are refused
here with a 400, for every JSON endpoint at once, instead of failing deep inside a view.
"""

import codecs
import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

MAX_JSON_DEPTH = 32  # the deepest document we accept (a rule set is 4 levels deep)


class UnsafeDocument(ValueError):
    """A parsed JSON document that is too deep or carries a NUL character."""


def check_document(data, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Walk a parsed JSON document without recursion; raise UnsafeDocument when a value is
    nested deeper than `max_depth` or a key or string holds a NUL character."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > max_depth:
                raise UnsafeDocument(f"JSON nested deeper than {max_depth} levels is not accepted.")
            if isinstance(value, dict):
                for key, item in value.items():
                    if "\x00" in key:
                        raise UnsafeDocument("Text may not contain NUL (\\u0000) characters.")
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and "\x00" in value:
            raise UnsafeDocument("Text may not contain NUL (\\u0000) characters.")


def load_json(text: str):
    """json.loads for text people send: a document too deep or with NUL raises UnsafeDocument
    (a ValueError, like any other malformed JSON)."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise UnsafeDocument(f"JSON nested deeper than {MAX_JSON_DEPTH} levels is not accepted.") from exc
    check_document(data)
    return data


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON.")


class SafeJSONParser(JSONParser):
    """DRF's JSON parser with the depth and NUL checks above; malformed input is a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            return load_json(text)
        except UnsafeDocument as exc:
            raise ParseError(str(exc)) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc


__all__ = ["SafeJSONParser", "FormParser", "MultiPartParser", "check_document", "load_json", "UnsafeDocument"]
