"""Records who opened which report and who looked for which phone number, from the URL
that was answered (200 only: a refused or missing report opened nothing)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from calldesk.accounts.models import User
from calldesk.audit.models import AccessEvent
from calldesk.audit.services import record_access
from calldesk.lib.phones import normalise_query

Action = AccessEvent.Action
REPORT_PAGES = {"reports-detail": Action.REPORT_VIEW, "reports-edit": Action.REPORT_EDIT}
# Pages whose `phone` filter searches by a caller's number.
PHONE_SEARCH_PAGES = {"reports-list": "report list", "audit-list": "access log"}


class AccessAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        match = request.resolver_match
        user = request.user
        if match is None or response.status_code != 200 or not isinstance(user, User):
            return response
        if match.url_name in REPORT_PAGES:
            record_access(REPORT_PAGES[match.url_name], request=request, user=user, report=match.kwargs["public_id"])
        elif match.url_name in PHONE_SEARCH_PAGES and request.GET.get("phone", "").strip() and user.organization:
            e164 = normalise_query(request.GET["phone"], user.organization.phone_region)
            if e164:
                record_access(
                    Action.PHONE_SEARCH,
                    request=request,
                    user=user,
                    phone_e164=e164,
                    page=PHONE_SEARCH_PAGES[match.url_name],
                    export=request.GET.get("export", ""),
                )
        return response
