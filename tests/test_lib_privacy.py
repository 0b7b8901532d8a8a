"""Error reports (the debug page, a mailed or logged report) never carry caller data (SPEC §2)."""

from __future__ import annotations

import sys

import pytest
from django.test import RequestFactory
from django.views.debug import ExceptionReporter

from calldesk.lib.privacy import CallerDataReporter

# Built at run time: the report quotes source lines, and those must not match by themselves.
NUMBER = "999555" + "0123"
LINE = "888620" + "1111"
URL = f"/Telephony/GetCallReport?reportVer=9991234&ani={NUMBER}&language=112211"


def _crash(ani: str) -> None:
    dialled = ani  # a local variable holding caller data, as a view's would
    raise ValueError(f"could not place {len(dialled)} digits")


def _report(reporter: type[ExceptionReporter], method: str, url: str = URL) -> tuple[str, str]:
    factory = RequestFactory()
    request = factory.get(url) if method == "GET" else factory.post(url, {"ani": NUMBER, "dnis": LINE})
    try:
        _crash(NUMBER)
    except ValueError:
        exc_type, exc_value, tb = sys.exc_info()
    report = reporter(request, exc_type, exc_value, tb)
    return report.get_traceback_html(), report.get_traceback_text()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_error_report_names_parameters_and_variables_but_shows_no_value(method: str) -> None:
    for text in _report(CallerDataReporter, method):
        assert NUMBER not in text
        assert LINE not in text
        assert "ani" in text and "dialled" in text  # names stay, to help whoever debugs
        assert "could not place 10 digits" in text  # the error itself stays


def test_even_django_s_own_reporter_hides_form_values_and_local_variables() -> None:
    # Through DEFAULT_EXCEPTION_REPORTER_FILTER (calldesk.lib.privacy.CallerDataFilter). The
    # query string it would still show: that takes CallerDataReporter as the default reporter.
    for text in _report(ExceptionReporter, "POST", "/Telephony/GetCallReport"):
        assert NUMBER not in text and LINE not in text
        assert "dialled" in text
