"""A form posted in another charset than UTF-8 gets a 400 that says so, not an empty 500,
with CSRF checks on as in production."""

from __future__ import annotations

import pytest
from django.test import Client

from calldesk.reports.models import CallReport
from tests.cast import Cast
from tests.reporting import editor_data, open_draft


@pytest.fixture
def browser_like(cast: Cast) -> Client:
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(cast.specialist)
    return client


@pytest.mark.parametrize("charset", ["utf-32", "UTF-16", "latin-1", "no-such-charset"])
def test_a_save_posted_in_another_charset_is_a_clear_400(browser_like: Client, charset: str) -> None:
    report = open_draft(browser_like)
    browser_like.get(f"/reports/{report.public_id}/")
    token = browser_like.cookies["csrftoken"].value
    body = "&".join(f"{k}={v}" for k, v in editor_data(report, f_summary="x").items())
    # generic(): post() would re-encode the body into the declared charset itself.
    response = browser_like.generic(
        "POST",
        f"/reports/{report.public_id}/save",
        f"{body}&csrfmiddlewaretoken={token}".encode(),
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    assert response.status_code == 400
    assert "UTF-8" in response.content.decode()
    assert CallReport.objects.get(pk=report.pk).version == report.version


def test_a_multipart_login_in_utf_16_is_a_clear_400(db: None) -> None:
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    response = client.post(
        "/accounts/login/", b"--x--\r\n", content_type="multipart/form-data; boundary=x; charset=utf-16"
    )
    assert response.status_code == 400
    assert "UTF-8" in response.content.decode()


def test_utf_8_declared_in_any_spelling_is_read(browser_like: Client) -> None:
    report = open_draft(browser_like)
    browser_like.get(f"/reports/{report.public_id}/")
    token = browser_like.cookies["csrftoken"].value
    data = {**editor_data(report, f_summary="Ça va"), "csrfmiddlewaretoken": token}
    from urllib.parse import urlencode

    response = browser_like.post(
        f"/reports/{report.public_id}/save",
        urlencode(data),
        content_type="application/x-www-form-urlencoded; charset=UTF-8",
    )
    assert response.status_code == 302
    assert CallReport.objects.get(pk=report.pk).values["summary"] == "Ça va"
