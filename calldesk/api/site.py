"""The API's one NinjaAPI: its routers, its authentication, and errors as JSON with a message
per field (never Django's HTML error pages, never a 500 for anything a sender can get wrong)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from calldesk.api import callers, calls, cti, followups, forms, reports, risk
from calldesk.api.auth import TokenAuth
from calldesk.api.bodies import FORM_TYPES, JSON_TYPE, ApiError, BodyParser


class CalldeskAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """Ninja describes bodies as JSON only; every body here is read form-encoded too
        (`bodies.body_fields`), which is what phone systems often send."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                content = operation.get("requestBody", {}).get("content", {})
                if JSON_TYPE in content:
                    for form_type in FORM_TYPES:
                        content.setdefault(form_type, content[JSON_TYPE])
        return schema


api = CalldeskAPI(
    title="Calldesk API",
    version="1",
    description="Calls, hang-ups, reports and forms for phone systems and other programs. See docs/api.md.",
    auth=TokenAuth(),
    parser=BodyParser(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
api.add_router("/calls", calls.router)
api.add_router("/reports", reports.router)
api.add_router("/forms", forms.router)
api.add_router("/v1/cti", cti.router)
api.add_router("/callers", callers.router)
api.add_router("/followups", followups.router)
api.add_router("/risk-events", risk.router)


def error_response(
    request: HttpRequest, status: int, message: str, errors: dict[str, str] | None = None
) -> HttpResponse:
    return api.create_response(request, {"message": message, "errors": errors or {}}, status=status)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    response = error_response(request, exc.status, exc.message, exc.errors)
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja wraps what the body parser raised; the parser's own message says what was wrong.
    cause = exc.__cause__
    if isinstance(cause, ApiError):
        return _api_error(request, cause)
    return error_response(request, exc.status_code, str(exc))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request, 401, "A valid API token is needed: `Authorization: Bearer cdk_…`, or a `token` form field."
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, str(exc) or "Not found.")


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    found: dict[str, list[str]] = {}
    for error in exc.errors:
        found.setdefault(_field_name(error.get("loc", ())), []).append(str(error.get("msg", "is not valid")))
    # A value a union refuses fails once per allowed type: one sentence says it all.
    errors = {name: messages[0] if len(messages) == 1 else UNION_MESSAGE for name, messages in found.items()}
    if errors.get("body") == "Field required":
        errors["body"] = "The body is empty: send the fields as JSON or form-encoded."
    return error_response(request, 422, "Some values are not valid; see errors.", errors)


UNION_MESSAGE = "Input should be text or a number"


def _field_name(loc: Any) -> str:
    """`("body", "payload", "cause")` → `cause`; the body as a whole → `body`."""
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "payload")]
    return parts[0] if parts else "body"
