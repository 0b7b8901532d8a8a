"""`calldesk config export` (SPEC §5): export → import into an empty installation → same document."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from calldesk.accounts.models import Organization, User
from calldesk.callforms.models import CallForm
from calldesk.callforms.services import publish_revision
from tests.cast import FORM_A_DEFINITION, Cast

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "config-example.yaml"


def export(*args: str) -> str:
    out = StringIO()
    call_command("config", "export", *args, stdout=out)
    return out.getvalue()


def import_file(path: Path) -> str:
    out = StringIO()
    call_command("config", "import", str(path), stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def empty_the_installation() -> None:
    Organization.objects.all().delete()  # cascades to users, forms, revisions and mappings
    assert not User.objects.exists() and not CallForm.objects.exists()


def make_it_varied(cast: Cast) -> None:
    """Give the cast what a plain fixture lacks: a second revision, a retired form, an inactive user, retention."""
    changed = {
        **FORM_A_DEFINITION,
        "fields": [*FORM_A_DEFINITION["fields"], {"key": "age", "label": "Age", "type": "number"}],
    }
    publish_revision(cast.form_a, changed)
    cast.form_b.retired_at = timezone.now()
    cast.form_b.save()
    cast.specialist2.is_active = False
    cast.specialist2.save()
    cast.org_b.retention_days = 90
    cast.org_b.save()


@pytest.mark.django_db
def test_export_then_import_into_an_empty_installation_then_export_gives_the_same_bytes(
    cast: Cast, tmp_path: Path
) -> None:
    make_it_varied(cast)
    first = export()
    path = tmp_path / "export.yaml"
    path.write_text(first, encoding="utf-8")
    empty_the_installation()
    assert import_file(path) == "created 2 organizations, 5 users, 2 forms; changed nothing else"
    assert export() == first
    assert import_file(path) == "nothing changed"
    # The people can still log in with their old passwords: the hashes travelled as they were.
    assert User.objects.get(email="sam@lifeline.example").check_password("correct-horse-battery")
    assert CallForm.objects.get(report_ver="5550001").is_retired


@pytest.mark.django_db
def test_the_documented_example_round_trips(tmp_path: Path) -> None:
    import_file(EXAMPLE)
    first = export()
    path = tmp_path / "export.yaml"
    path.write_text(first, encoding="utf-8")
    empty_the_installation()
    import_file(path)
    assert export() == first


@pytest.mark.django_db
def test_the_export_holds_every_setting_of_the_format(cast: Cast) -> None:
    document = yaml.safe_load(export("--organization", "lifeline"))
    assert document["version"] == 1
    [org] = document["organizations"]
    assert {k: v for k, v in org.items() if k not in ("users", "forms")} == {
        "slug": "lifeline",
        "name": "Lifeline",
        "time_zone": "America/New_York",
        "phone_region": "US",
        "idle_timeout_minutes": 30,
        "retention_days": None,
        "two_factor_roles": ["supervisor", "admin"],
    }
    sam = next(user for user in org["users"] if user["email"] == "sam@lifeline.example")
    assert sam["agent_id"] == "34" and sam["role"] == "specialist" and sam["active"] is True
    assert sam["password_hash"] == User.objects.get(email="sam@lifeline.example").password
    assert "password" not in sam
    [form] = org["forms"]
    assert form["report_ver"] == "9991234" and form["retired"] is False
    assert form["fields"][0]["choices"] == [
        {"label": "English", "code": "112210"},
        {"label": "Spanish", "code": "112211"},
    ]
    assert form["fields"][3]["personal"] is True and form["fields"][3]["required"] is True
    assert [c["key"] for c in form["call_types"]] == ["call", "hang_up", "silent", "wrong_number", "prank"]
    assert form["mappings"] == [
        {"parameter": "language", "field": "language"},
        {"parameter": "dnis", "value": "8886201111", "field": "incoming_line", "field_value": "Main line"},
        {"parameter": "dnis", "value": "8886202222", "field": "incoming_line", "field_value": "Youth line"},
        {"parameter": "dnis", "field": "dialled_number"},
    ]


@pytest.mark.django_db
def test_one_organization_only_leaves_the_others_out(cast: Cast) -> None:
    text = export("--organization", "other")
    assert "bea@other.example" in text
    assert "lifeline" not in text and "9991234" not in text


@pytest.mark.django_db
def test_an_unknown_organization_is_a_clear_error(cast: Cast) -> None:
    with pytest.raises(CommandError, match="there is no organization `nope`"):
        export("--organization", "nope")


@pytest.mark.django_db
def test_output_to_a_json_file_round_trips(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    assert export("--output", str(path)) == ""
    first = path.read_text(encoding="utf-8")
    assert json.loads(first)["organizations"][0]["slug"] == "lifeline"
    empty_the_installation()
    import_file(path)
    export("--output", str(path))
    assert path.read_text(encoding="utf-8") == first


@pytest.mark.django_db
def test_values_yaml_would_misread_are_quoted(tmp_path: Path) -> None:
    """Codes, IDs and regions that look like numbers or booleans must come back as the same text."""
    text = (
        "organizations:\n  - slug: n\n    name: N\n    phone_region: 'NO'\n    users:\n"
        "      - {email: a@n.example, agent_id: '007', password: long-enough-password}\n    forms:\n"
        "      - report_ver: '0012'\n        name: F\n        fields:\n"
        "          - {key: c, label: C, type: choice, choices: [{label: 'yes', code: '1:30'}]}\n"
    )
    path = tmp_path / "in.yaml"
    path.write_text(text, encoding="utf-8")
    import_file(path)
    first = export()
    document = yaml.safe_load(first)
    org = document["organizations"][0]
    assert org["phone_region"] == "NO"
    assert org["users"][0]["agent_id"] == "007"
    assert org["forms"][0]["report_ver"] == "0012"
    assert org["forms"][0]["fields"][0]["choices"] == [{"label": "yes", "code": "1:30"}]
    path.write_text(first, encoding="utf-8")
    empty_the_installation()
    import_file(path)
    assert export() == first
