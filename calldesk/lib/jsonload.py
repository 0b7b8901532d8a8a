"""JSON text read and written quickly, for the paths that handle a document per row (exports,
API pages)."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from pydantic_core import from_json, to_json


def loads(text: str) -> Any:
    """`json.loads` of `text`, about twice as quick (pydantic's parser, which django-ninja
    brings): a report's values are the largest part of an export's row. What that parser
    refuses (a lone surrogate, a number past a float's range) json.loads reads as ever."""
    try:
        # Keys only: caching every short string too is barely quicker, and would keep texts of
        # caller data in a cache of the process.
        return from_json(text, cache_strings="keys")
    except (ValueError, TypeError):  # TypeError: a str that cannot be UTF-8 (a lone surrogate)
        return json.loads(text)


def string_or_loads(text: str) -> Any:
    """A sealed value's JSON: most are strings, and a string without an escape needs no parser."""
    if len(text) > 1 and text[0] == '"' and text[-1] == '"' and "\\" not in text:
        return text[1:-1]
    return loads(text)


def dumps(document: Any) -> bytes:
    """`document` as JSON in UTF-8, about three times as quick as `json.dumps` (pydantic's
    writer): an API page is 200 reports. The document holds JSON's own types, UUIDs and no
    datetime (that writer's form of a time is not the API's: the caller writes its times). What
    the writer refuses (a lone surrogate, which has no UTF-8) is written by json.dumps, escaped."""
    try:
        return to_json(document)
    except ValueError:  # PydanticSerializationError
        return json.dumps(document, cls=DjangoJSONEncoder).encode()
