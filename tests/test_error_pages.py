"""Error pages in the site's look that never say what exists, a favicon, themed links."""

from __future__ import annotations

import re
import uuid

from django.test import Client, RequestFactory
from django.views.defaults import bad_request, server_error

from tests.cast import Cast


def assert_styled(html: str) -> None:
    assert 'id="error-page"' in html
    assert "/static/calldesk/calldesk.css" in html
    assert "Not Found</h1>" not in html


def test_an_unknown_report_address_answers_the_styled_404(cast: Cast, specialist_client: Client) -> None:
    response = specialist_client.get(f"/reports/{uuid.uuid4()}/")
    assert response.status_code == 404
    html = response.content.decode()
    assert_styled(html)
    assert "This page is not here" in html
    assert "No such report" not in html  # the reason is never shown


def test_another_organizations_report_looks_exactly_like_a_missing_one(cast: Cast) -> None:
    from tests.reporting import open_draft

    owner = Client()
    owner.force_login(cast.specialist)
    report = open_draft(owner)
    outsider = Client()
    outsider.force_login(cast.specialist_b)
    theirs = outsider.get(f"/reports/{report.public_id}/")
    missing = outsider.get(f"/reports/{uuid.uuid4()}/")
    assert theirs.status_code == missing.status_code == 404
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub("", theirs.content.decode()) == token.sub("", missing.content.decode())


def test_a_page_the_role_may_not_open_answers_the_styled_404(cast: Cast, specialist_client: Client) -> None:
    for path in ("/configure/", "/configure/users/", "/dashboards/"):
        response = specialist_client.get(path)
        assert response.status_code == 404, path
        assert_styled(response.content.decode())


def test_an_unknown_address_for_someone_logged_out_offers_the_login(db: None) -> None:
    response = Client().get("/no/such/page?ani=9991234567")
    assert response.status_code == 404
    html = response.content.decode()
    assert_styled(html)
    assert 'href="/accounts/login/"' in html
    assert "9991234567" not in html and "/no/such/page" not in html


def test_the_server_error_and_bad_request_pages_are_styled(db: None) -> None:
    request = RequestFactory().get("/anything")
    error = server_error(request)
    assert error.status_code == 500
    assert_styled(error.content.decode())
    assert "Something went wrong" in error.content.decode()
    bad = bad_request(request, exception=ValueError("secret detail"))
    assert bad.status_code == 400
    assert_styled(bad.content.decode())
    assert "secret detail" not in bad.content.decode()


def test_a_form_posted_after_its_page_expired_gets_a_readable_403(cast: Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.admin)
    response = client.post("/configure/settings/", {"name": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert_styled(html)
    assert "This page has expired" in html


def test_the_favicon_is_served_by_the_app_and_linked_from_every_page(cast: Cast, specialist_client: Client) -> None:
    icon = Client().get("/favicon.ico")
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = specialist_client.get("/reports/").content.decode()
    assert 'rel="icon" href="/static/calldesk/favicon.svg"' in page
    assert Client().get("/static/calldesk/favicon.svg").status_code == 200


def test_links_take_the_themes_colour() -> None:
    from pathlib import Path

    css = (Path(__file__).resolve().parent.parent / "calldesk/static/calldesk/calldesk.css").read_text()
    assert "a { color:var(--accent); }" in css
