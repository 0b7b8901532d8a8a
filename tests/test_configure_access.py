"""Every admin page answers only the organization's admins: anonymous people are sent to
log in; specialists, supervisors and other organizations' admins get a 404."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from calldesk.accounts.models import Role
from calldesk.configure.models import ApiToken
from calldesk.configure.tokens import create_token
from tests.cast import Cast, make_user


def _pages(cast: Cast) -> list[tuple[str, str]]:
    form = cast.form_a.public_id
    member = cast.specialist.public_id
    token = create_token(cast.admin, "Lifeline PBX token").token.public_id
    return [
        ("get", "/configure/"),
        ("get", "/configure/forms/"),
        ("get", "/configure/forms/new/"),
        ("post", "/configure/forms/new/"),
        ("get", f"/configure/forms/{form}/"),
        ("post", f"/configure/forms/{form}/"),
        ("get", f"/configure/forms/{form}/revisions/"),
        ("get", f"/configure/forms/{form}/preview/"),
        ("post", f"/configure/forms/{form}/retire"),
        ("get", f"/configure/forms/{form}/mappings/"),
        ("post", f"/configure/forms/{form}/mappings/"),
        ("post", f"/configure/forms/{form}/mappings/change"),
        ("get", f"/configure/forms/{form}/url/"),
        ("post", f"/configure/forms/{form}/url/"),
        ("get", "/configure/users/"),
        ("get", "/configure/users/new/"),
        ("post", "/configure/users/new/"),
        ("get", f"/configure/users/{member}/"),
        ("post", f"/configure/users/{member}/"),
        ("post", f"/configure/users/{member}/active"),
        ("get", "/configure/settings/"),
        ("post", "/configure/settings/"),
        ("get", "/configure/tokens/"),
        ("post", "/configure/tokens/"),
        ("post", f"/configure/tokens/{token}/revoke"),
        ("get", "/configure/audit/"),
    ]


def _call(client: Client, method: str, url: str) -> int:
    # Data that would change something if the check let it through.
    data = {
        "active": "0",
        "retire": "1",
        "confirmed": "1",
        "name": "x",
        "parameter": "p",
        "url": "/Telephony/GetCallReport?reportVer=9991234",
    }
    response = client.post(url, data) if method == "post" else client.get(url)
    return response.status_code


def test_anonymous_people_are_sent_to_log_in(cast: Cast) -> None:
    client = Client()
    for method, url in _pages(cast):
        response = client.post(url) if method == "post" else client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url


def _is_object_page(url: str) -> bool:
    return re.search(r"/[0-9a-f]{8}-[0-9a-f]{4}-", url) is not None


def assert_nothing_changed(cast: Cast) -> None:
    """The POSTs above retire, deactivate and revoke when they are let through."""
    cast.form_a.refresh_from_db()
    cast.specialist.refresh_from_db()
    assert cast.form_a.retired_at is None
    assert cast.specialist.is_active
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 0


@pytest.mark.parametrize("who", ["specialist", "supervisor", "orgless_admin"])
def test_everyone_but_admins_gets_404(cast: Cast, who: str) -> None:
    person = make_user(None, "nobody@example.org", Role.ADMIN) if who == "orgless_admin" else getattr(cast, who)
    client = Client()
    client.force_login(person)
    for method, url in _pages(cast):
        assert _call(client, method, url) == 404, (who, method, url)
    assert_nothing_changed(cast)


def test_another_organizations_admin_gets_404_for_our_objects_and_sees_only_their_own(cast: Cast) -> None:
    client = Client()
    client.force_login(make_user(cast.org_b, "boss@other.example", Role.ADMIN))
    for method, url in _pages(cast):
        if _is_object_page(url):
            assert _call(client, method, url) == 404, (method, url)
        elif method == "get":
            page = client.get(url)
            assert page.status_code == 200, url
            for ours in (b"Crisis call", b"sam@lifeline.example", b"Lifeline", b"PBX token"):
                assert ours not in page.content, (url, ours)
    assert_nothing_changed(cast)


def test_the_organizations_admin_reaches_every_page(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.admin)
    for method, url in _pages(cast):
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_other_organizations_objects_are_404_for_an_admin(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.admin)
    other_form = cast.form_b.public_id
    other_member = cast.specialist_b.public_id
    other_token = create_token(make_user(cast.org_b, "boss@other.example", Role.ADMIN), "theirs").token.public_id
    for url in (
        f"/configure/forms/{other_form}/",
        f"/configure/forms/{other_form}/mappings/",
        f"/configure/forms/{other_form}/url/",
        f"/configure/forms/{other_form}/preview/",
        f"/configure/forms/{other_form}/revisions/",
        f"/configure/users/{other_member}/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/configure/users/{other_member}/active", {"active": "0", "confirmed": "1"}).status_code == 404
    assert client.post(f"/configure/forms/{other_form}/retire", {"retire": "1", "confirmed": "1"}).status_code == 404
    assert client.post(f"/configure/tokens/{other_token}/revoke").status_code == 404
    cast.specialist_b.refresh_from_db()
    assert cast.specialist_b.is_active


def test_the_nav_links_to_configure_only_for_admins(cast: Cast, specialist_client: Client) -> None:
    client = Client()
    client.force_login(cast.admin)
    assert b'href="/configure/"' in client.get("/reports/").content
    assert b'href="/configure/"' not in specialist_client.get("/reports/").content


def test_pages_refuse_wrong_methods(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.admin)
    assert client.get(f"/configure/forms/{cast.form_a.public_id}/retire").status_code == 405
    assert client.delete("/configure/forms/").status_code == 405
