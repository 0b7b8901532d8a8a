"""Keep caller data out of error reports.

Every query-string and form value may hold a caller's number or an IVR choice, so
error reports show parameter names only.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter


class CallerDataFilter(SafeExceptionReporterFilter):
    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        if request is None:
            return {}
        return {key: self.cleansed_substitute for key in request.POST}

    def get_safe_request_meta(self, request: HttpRequest) -> dict[str, Any]:
        meta = super().get_safe_request_meta(request)
        for key in ("QUERY_STRING", "HTTP_REFERER", "RAW_URI", "REQUEST_URI"):
            if key in meta:
                meta[key] = self.cleansed_substitute
        return meta

    def is_active(self, request: HttpRequest | None) -> bool:
        # Active even with DEBUG on: a debug page is still seen by people.
        return True
