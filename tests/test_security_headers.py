"""Security headers on pages with caller data."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.cast import Cast

CALL = "/Telephony/GetCallReport?reportVer=9991234&ani=9991234567"


def assert_protected(response: Any) -> None:
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin")
    assert "no-store" in response["Cache-Control"]


def test_the_telephony_redirect_is_protected(cast: Cast, specialist_client: Client) -> None:
    response = specialist_client.get(CALL)
    assert response.status_code == 303
    assert_protected(response)


def test_the_editor_is_protected(cast: Cast, specialist_client: Client) -> None:
    response = specialist_client.get(specialist_client.get(CALL)["Location"])
    assert response.status_code == 200
    assert_protected(response)
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "url", ["/Telephony/GetCallReport", "/Telephony/GetCallReport?reportVer=0000000", "/reports/unfinished/"]
)
def test_error_pages_and_lists_are_protected(cast: Cast, specialist_client: Client, url: str) -> None:
    assert_protected(specialist_client.get(url))


def test_the_anonymous_redirect_and_login_page_are_protected(cast: Cast) -> None:
    client = Client()
    redirect = client.get(CALL)
    assert_protected(redirect)
    assert_protected(client.get(redirect["Location"]))


def test_the_editor_has_no_inline_script(cast: Cast, specialist_client: Client) -> None:
    page = specialist_client.get(specialist_client.get(CALL)["Location"]).content.decode()
    assert "<script>" not in page
    assert " onclick=" not in page and " style=" not in page
