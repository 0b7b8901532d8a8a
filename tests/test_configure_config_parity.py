"""What the admin pages set up is what `calldesk config export` writes, and that export
imported into an empty installation reproduces it exactly."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.test import Client

from calldesk.accounts.models import Organization, User
from calldesk.callforms.models import CallForm
from tests.cast import Cast
from tests.test_configure_forms import definition_post


def _export() -> str:
    out = StringIO()
    call_command("config", "export", stdout=out)
    return out.getvalue()


def _configure_everything_through_the_pages(cast: Cast) -> None:
    ada = Client()
    ada.force_login(cast.admin)
    settings = {
        "name": "Lifeline 24/7",
        "time_zone": "America/Denver",
        "phone_region": "CA",
        "idle_timeout_minutes": "20",
    }
    assert ada.post("/configure/settings/", {**settings, "retention_days": "400"}).status_code == 302
    new_user = {
        "email": "ivy@lifeline.example",
        "name": "Ivy",
        "role": "supervisor",
        "agent_id": "90",
        "password": "pass-phrase-long",
    }
    assert ada.post("/configure/users/new/", new_user).status_code == 302
    edit = {"name": "Kim K.", "role": "admin", "agent_id": "36"}
    assert ada.post(f"/configure/users/{cast.specialist2.public_id}/", edit).status_code == 302
    assert (
        ada.post(f"/configure/users/{cast.specialist.public_id}/active", {"active": "0", "confirmed": "1"}).status_code
        == 302
    )

    assert ada.post("/configure/forms/new/", {"report_ver": "7770001", "name": "Youth chat"}).status_code == 302
    youth = CallForm.objects.get(report_ver="7770001")
    rows: list[dict[str, Any]] = [
        {
            "label": "Topic",
            "type": "multi_choice",
            "choices": "Housing = 301\nFood = 302",
            "help_text": "All that apply",
        },
        {"key": "callback", "label": "Callback", "type": "phone", "personal": True, "required": True},
        {"key": "age", "label": "Age", "type": "number"},
    ]
    call_types = [{"key": "chat", "label": "Chat", "data": True}, {"key": "dropped", "label": "Dropped", "data": False}]
    assert (
        ada.post(f"/configure/forms/{youth.public_id}/", definition_post("Youth chat", rows, call_types)).status_code
        == 302
    )
    for rule in (
        {"parameter": "topic", "value": "", "field_key": "topic", "field_value": ""},
        {"parameter": "queue", "value": "5", "field_key": "topic", "field_value": "Food"},
        {"parameter": "years", "value": "", "field_key": "age", "field_value": ""},
    ):
        assert ada.post(f"/configure/forms/{youth.public_id}/mappings/", rule).status_code == 302
    change = f"/configure/forms/{youth.public_id}/mappings/change"
    assert ada.post(change, {"index": "2", "rule": "years → age", "action": "up"}).status_code == 302
    assert (
        ada.post(f"/configure/forms/{cast.form_b.public_id}/retire", {"retire": "1", "confirmed": "1"}).status_code
        == 404
    )  # not ours
    assert (
        ada.post(f"/configure/forms/{cast.form_a.public_id}/retire", {"retire": "1", "confirmed": "1"}).status_code
        == 302
    )


def test_pages_export_and_reimport_into_an_empty_installation_identically(cast: Cast, tmp_path: Path) -> None:
    _configure_everything_through_the_pages(cast)
    first = _export()
    for expected in ("Lifeline 24/7", "America/Denver", "ivy@lifeline.example", "7770001", "code: '302'", "queue"):
        assert expected in first, expected

    Organization.objects.all().delete()  # users, forms, mappings, tokens and audit go with them
    assert User.objects.count() == 0 and CallForm.objects.count() == 0
    path = tmp_path / "config.yaml"
    path.write_text(first, encoding="utf-8")
    call_command("config", "import", str(path), stdout=StringIO())
    assert _export() == first

    youth = CallForm.objects.get(report_ver="7770001")
    assert [str(m) for m in youth.mappings.all()] == ["topic → topic", "years → age", "queue=5 → topic = Food"]
    assert CallForm.objects.get(report_ver="9991234").is_retired
    assert not User.objects.get(email="sam@lifeline.example").is_active
    assert User.objects.get(email="ivy@lifeline.example").check_password("pass-phrase-long")
