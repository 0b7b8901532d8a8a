"""Reading a request body: JSON or form-encoded on the same endpoints, since phone systems send both.

Every way a body can be wrong ends here as an `ApiError` with its HTTP status, never a 500:
too big, not JSON, JSON that is not an object, a content type the API does not read.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from ninja.parser import Parser

# Far above any call's parameters (telephony URLs reach 8 KB), far below what could hurt.
MAX_BODY_BYTES = 64 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
JSON_TYPE = "application/json"
TOKEN_FIELD = "token"
_CACHE = "_calldesk_body_fields"


class ApiError(Exception):
    """An answer other than success, with its status and a sentence for the sender."""

    def __init__(
        self, status: int, message: str, errors: dict[str, str] | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or {}
        self.retry_after = retry_after  # seconds, sent as Retry-After (429, 503)


def is_form(request: HttpRequest) -> bool:
    return request.content_type in FORM_TYPES


def body_fields(request: HttpRequest) -> dict[str, Any]:
    """The body as {name: value}; a form field sent several times has the list of its values."""
    cached = getattr(request, _CACHE, None)
    if cached is not None:
        return cached
    fields = _read(request)
    setattr(request, _CACHE, fields)
    return fields


def _read(request: HttpRequest) -> dict[str, Any]:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    too_big = ApiError(413, f"The body is larger than {MAX_BODY_BYTES // 1024} KB.")
    if length > MAX_BODY_BYTES:
        raise too_big
    try:
        # Read first, whatever the type: the form parser then reads this copy, and the body
        # stays readable for everything after (a multipart stream can be read only once).
        body = request.body
    except RequestDataTooBig as error:
        raise too_big from error
    if len(body) > MAX_BODY_BYTES:
        raise too_big
    content_type = request.content_type or ""
    if content_type in FORM_TYPES:
        try:
            form = request.POST
        except (MultiPartParserError, TooManyFieldsSent, ValueError) as error:
            raise ApiError(400, "The form-encoded body could not be read.") from error
        return {name: (values[0] if len(values) == 1 else values) for name, values in form.lists()}
    if not body.strip():
        return {}
    if content_type != JSON_TYPE:
        raise ApiError(
            415, f"Send the body as {JSON_TYPE} or application/x-www-form-urlencoded, not {content_type or 'untyped'}."
        )
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise ApiError(400, "The body is not valid JSON.") from error
    if not isinstance(data, dict):
        raise ApiError(422, "The body must be a JSON object ({...}).")
    return data


class BodyParser(Parser):
    """Hands the endpoints' schemas the body as `body_fields` read it, without the token."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return {name: value for name, value in body_fields(request).items() if name != TOKEN_FIELD}
