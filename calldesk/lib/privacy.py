"""Keep caller data out of error reports and logs.

Every query-string and form value may hold a caller's number or an IVR choice, and so may
any local variable of a view, so error reports (the debug page, a logged or mailed report)
show parameter and variable names only.

Query strings (the caller's number travels in the telephony URL's) and paths that carry a
secret (Zammad-compatible CTI puts the API token in the path) are scrubbed from every log line
by `PrivateLogFilter`: runserver logs every request line, Django's request logger the path of
4xx and 5xx answers, and granian's access log every path.

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
# /api/v1/cti/<token>: the token is the rest of the path segment.
_SECRET_PATH = re.compile(r"(/api/v1/cti/)[^/?#\s\"']+", re.IGNORECASE)
SCRUBBED = "[token]"


def without_query(text: str) -> str:
    """`"GET /Telephony/GetCallReport?ani=999 HTTP/1.1"` → `"GET /Telephony/GetCallReport HTTP/1.1"`."""
    return _QUERY.sub(r"\1", text)


def scrub_secret_paths(text: str) -> str:
    return _SECRET_PATH.sub(r"\g<1>" + SCRUBBED, text)


def _scrubbed(value: Any) -> Any:
    return scrub_secret_paths(without_query(value)) if isinstance(value, str) else value


class PrivateLogFilter(logging.Filter):
    """The one logging filter for every handler (settings.LOGGING, and the log configuration
    `calldesk serve` gives granian): the message and its arguments without query strings (the
    caller's number travels in the telephony URL's, and never goes in a log) and without secret
    paths. Whatever logged them: runserver's `django.server`, Django's `django.request` (4xx
    and 5xx answers), granian's access log."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _scrubbed(record.msg)
        if isinstance(record.args, dict):  # granian's access log: one dict of named parts
            args = {key: _scrubbed(value) for key, value in record.args.items()}
            if "query_string" in args:
                args["query_string"] = ""
            record.args = args
        elif isinstance(record.args, tuple):
            record.args = tuple(_scrubbed(value) for value in record.args)
        return True
