"""Unicode email addresses (`josé.nuñez@acme.com`) work for users, the same on every path:
admin pages, config import, login, the telephony URL's agent."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from urllib.parse import quote

import pytest
from django.test import Client

from calldesk.accounts.models import User
from tests.cast import PASSWORD, Cast, make_user
from tests.reporting import open_draft
from tests.test_config_import import failed_import, run_import, write

JOSE = "josé.nuñez@acme.com"


@pytest.fixture
def ada(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.admin)
    return client


def test_an_admin_creates_a_user_with_a_unicode_address(cast: Cast, ada: Client) -> None:
    page = ada.get("/configure/users/new/").content.decode()
    assert 'type="email"' not in page  # the browser's own check refuses josé@…
    data = {"email": "José.Nuñez@Acme.com", "name": "José", "role": "specialist", "password": PASSWORD}
    response = ada.post("/configure/users/new/", data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert User.objects.get(name="José").email == JOSE


def test_the_same_address_typed_another_way_is_the_same_user(cast: Cast, ada: Client) -> None:
    make_user(cast.org_a, JOSE)
    decomposed = unicodedata.normalize("NFD", "JOSÉ.NUÑEZ@ACME.COM")
    data = {"email": decomposed, "name": "Twin", "role": "specialist", "password": PASSWORD}
    response = ada.post("/configure/users/new/", data)
    assert response.status_code == 400
    assert "exists already" in response.content.decode()


@pytest.mark.parametrize("bad", ["josé", "josé@", "jo sé@acme.com", "josé@@acme.com", "<b>@acme.com"])
def test_what_is_not_an_address_is_still_refused(cast: Cast, ada: Client, bad: str) -> None:
    data = {"email": bad, "name": "X", "role": "specialist", "password": PASSWORD}
    response = ada.post("/configure/users/new/", data)
    assert response.status_code == 400
    assert "Enter a valid email address" in response.content.decode()


def test_login_takes_the_address_in_any_case_and_composition(cast: Cast) -> None:
    make_user(cast.org_a, JOSE)
    page = Client().get("/accounts/login/").content.decode()
    assert 'type="email"' not in page
    for typed in ("josé.nuñez@acme.com", "JOSÉ.NUÑEZ@ACME.COM", unicodedata.normalize("NFD", JOSE)):
        client = Client()
        response = client.post("/accounts/login/", {"username": typed, "password": PASSWORD})
        assert response.status_code == 302, typed
        assert client.get("/reports/").status_code == 200


def test_the_agent_parameter_finds_the_user_by_a_unicode_address(cast: Cast, specialist_client: Client) -> None:
    jose = make_user(cast.org_a, JOSE, name="José")
    report = open_draft(
        specialist_client, "/Telephony/GetCallReport?reportVer=9991234&agent=" + quote("JOSÉ.Nuñez@acme.com")
    )
    assert report.agent == jose


def test_config_import_takes_a_unicode_address_and_refuses_a_broken_one(db: None, tmp_path: Path) -> None:
    text = """
organizations:
  - slug: acme
    name: Acme
    time_zone: America/New_York
    users:
      - {email: José.Nuñez@Acme.com, name: José, role: specialist, password: long-enough-password}
"""
    run_import(write(tmp_path, text))
    assert User.objects.get(name="José").email == JOSE
    problems = failed_import(write(tmp_path, text.replace("José.Nuñez@Acme.com", "'jo sé@acme.com'"), "bad.yaml"))
    assert any("is not an email address" in line for line in problems)
