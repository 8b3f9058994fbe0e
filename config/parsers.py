"""Request bodies the API accepts, checked before any view runs.

Python's JSON decoder recurses once per nesting level, so a 4 KB body nested 2,000 deep ends
in RecursionError, and PostgreSQL refuses NUL characters in text and in jsonb. Both are refused
here with a 400, for every JSON endpoint at once, instead of failing deep inside a view. Every
other control character but tab and line breaks is dropped from the strings of JSON and form
bodies (config.text), passwords excepted: they are compared, never shown.
"""

import codecs
import json
import re

from django.conf import settings
from django.http import QueryDict
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from config.text import CONTROL, clean_text

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
    (a ValueError, like any other malformed JSON); other control characters are dropped from
    its strings (clean_strings)."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise UnsafeDocument(f"JSON nested deeper than {MAX_JSON_DEPTH} levels is not accepted.") from exc
    check_document(data)
    return clean_strings(data)


PASSWORD = re.compile("password", re.IGNORECASE)  # a field whose value is kept exactly as sent


def clean_strings(value, key: str = ""):
    """A parsed document (or one value of it) with config.text.clean_text applied to every
    string and key, except the values of password fields. Depth is bounded by check_document."""
    if isinstance(value, str):
        return value if PASSWORD.search(key) else clean_text(value)
    if isinstance(value, list):
        return [clean_strings(item, key) for item in value]
    if isinstance(value, dict):
        return {clean_text(name): clean_strings(item, name) for name, item in value.items()}
    return value


def clean_fields(fields: QueryDict) -> QueryDict:
    """Form fields (or a query string) with clean_text applied to every name and value except
    passwords; the same QueryDict when nothing needed it."""
    if not any(CONTROL.search(name) or any(CONTROL.search(v) for v in values) for name, values in fields.lists()):
        return fields
    cleaned = QueryDict(mutable=True, encoding=fields.encoding)
    for name, values in fields.lists():
        cleaned.setlist(clean_text(name), values if PASSWORD.search(name) else [clean_text(v) for v in values])
    cleaned._mutable = False
    return cleaned


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON.")


class SafeJSONParser(parsers.JSONParser):
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


class FormParser(parsers.FormParser):
    """DRF's form parser, the fields cleaned (clean_fields)."""

    def parse(self, stream, media_type=None, parser_context=None):
        return clean_fields(super().parse(stream, media_type, parser_context))


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, the fields cleaned (clean_fields); files are left as sent."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        return parsers.DataAndFiles(clean_fields(parsed.data), parsed.files)


__all__ = [
    "SafeJSONParser",
    "FormParser",
    "MultiPartParser",
    "check_document",
    "clean_fields",
    "clean_strings",
    "load_json",
    "UnsafeDocument",
]
