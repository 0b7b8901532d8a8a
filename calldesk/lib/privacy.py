"""Keep caller data out of error reports and logs.

Every query-string and form value may hold a caller's number or an IVR choice, and so may
any local variable of a view, so error reports (the debug page, a logged or mailed report)
show parameter and variable names only.

`CallerDataFilter` is Django's DEFAULT_EXCEPTION_REPORTER_FILTER; `CallerDataReporter`,
as DEFAULT_EXCEPTION_REPORTER, also hides the query string, which Django's reporter reads
from the request itself rather than through the filter.
"""

from __future__ import annotations

import logging
import re
from types import FrameType
from typing import Any

from django.http import HttpRequest
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter


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

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: FrameType) -> Any:
        # Any local may hold what a phone system sent (`pairs`, `value`, `raw`, …).
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]

    def is_active(self, request: HttpRequest | None) -> bool:
        # Active even with DEBUG on: a debug page is still seen by people.
        return True


class CallerDataReporter(ExceptionReporter):
    def get_traceback_data(self) -> dict[str, Any]:
        data = super().get_traceback_data()
        if self.request is not None:
            substitute = CallerDataFilter.cleansed_substitute
            data["request_GET_items"] = [(key, substitute) for key in self.request.GET]
            # The address without its query string (Django's shows the full path).
            data["request_insecure_uri"] = data["request_insecure_uri"].split("?", 1)[0]
        return data


# A query string after a path or URL: `/Telephony/GetCallReport?ani=…` up to a space or a quote.
_QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")


def without_query(text: str) -> str:
    """`"GET /Telephony/GetCallReport?ani=999 HTTP/1.1"` → `"GET /Telephony/GetCallReport HTTP/1.1"`."""
    return _QUERY.sub(r"\1", text)


class QueryStringFilter(logging.Filter):
    """Takes query strings out of every log line that passes it, whatever logged it: runserver's
    `django.server`, Django's `django.request` (4xx and 5xx answers), granian's access log. The
    caller's number travels in the telephony URL's query string (SPEC §2: never in a log).
    Set on the handlers in settings.LOGGING, so it also sees what child loggers propagate."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = without_query(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(without_query(arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.args, dict):  # granian's access log: one dict of named parts
            args = {k: without_query(v) if isinstance(v, str) else v for k, v in record.args.items()}
            if "query_string" in args:
                args["query_string"] = ""
            record.args = args
        return True
