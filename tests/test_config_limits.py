"""One set of limits (calldesk.lib.limits) for the admin pages and `calldesk config import`:
what a page refuses, the import refuses too, with the place in the file; nothing is written."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from calldesk.accounts.models import Organization
from calldesk.callforms.models import CallForm, FormRevision
from calldesk.lib import limits
from tests.cast import Cast
from tests.test_configure_forms import definition_post


def failed_import(path: Path) -> list[str]:
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("config", "import", str(path), stdout=StringIO(), stderr=err)
    return err.getvalue().strip().splitlines()


def document(org: dict[str, Any] | None = None, form: dict[str, Any] | None = None) -> dict[str, Any]:
    organization: dict[str, Any] = {"slug": "limits", "name": "Limits line", **(org or {})}
    if form is not None:
        organization["forms"] = [{"report_ver": "4440001", "name": "Intake", **form}]
    return {"organizations": [organization]}


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def nothing_written() -> bool:
    return not Organization.objects.filter(slug="limits").exists()


@pytest.fixture
def ada(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.admin)
    return client


def choices(count: int) -> list[str]:
    return [f"Choice {n}" for n in range(count)]


OVER_LIMIT: list[tuple[str, dict[str, Any], dict[str, Any] | None, str]] = [
    (
        "an idle timeout of 10,000,000 minutes",
        {"idle_timeout_minutes": 10_000_000},
        None,
        "organizations[0].idle_timeout_minutes: must be a whole number from 1 to 1,440",
    ),
    (
        "a retention of 10**30 days",
        {"retention_days": 10**17},
        None,
        "organizations[0].retention_days: must be a whole number from 1 to 36,500 or null",
    ),
    (
        "a help text of a megabyte",
        {},
        {"fields": [{"key": "notes", "label": "Notes", "type": "text", "help_text": "h" * 1_000_000}]},
        "organizations[0].forms[0].fields[0].help_text: is longer than 500 characters",
    ),
    (
        "too many fields",
        {},
        {"fields": [{"key": f"f{n}", "label": f"F{n}", "type": "text"} for n in range(limits.MAX_FIELDS + 1)]},
        "organizations[0].forms[0].fields: a form has at most 100 fields (101 given)",
    ),
    (
        "too many choices in one field",
        {},
        {"fields": [{"key": "topic", "label": "Topic", "type": "choice", "choices": choices(201)}]},
        "organizations[0].forms[0].fields[0].choices: a field has at most 200 choices (201 given)",
    ),
    (
        "too many choices in all",
        {},
        {"fields": [{"key": f"c{n}", "label": f"C{n}", "type": "choice", "choices": choices(200)} for n in range(6)]},
        "organizations[0].forms[0].fields: a form has at most 1,000 choices in all (1,200 given)",
    ),
    (
        "a NUL character in a label",
        {},
        {"fields": [{"key": "notes", "label": "No\x00tes", "type": "text"}]},
        "organizations[0].forms[0].fields[0].label: must not contain a NUL character",
    ),
    (
        "a NUL character in an organization's name",
        {"name": "Bad\x00name"},
        None,
        "organizations[0].name: must not contain a NUL character",
    ),
    (
        "too many mappings",
        {},
        {
            "fields": [{"key": "notes", "label": "Notes", "type": "text"}],
            "mappings": [{"parameter": f"p{n}", "field": "notes"} for n in range(limits.MAX_MAPPINGS_PER_FORM + 1)],
        },
        "organizations[0].forms[0].mappings: a form has at most 500 mappings",
    ),
]


@pytest.mark.parametrize(("what", "org", "form", "problem"), OVER_LIMIT, ids=[case[0] for case in OVER_LIMIT])
def test_an_import_past_a_limit_is_refused_with_its_place(
    cast: Cast, tmp_path: Path, what: str, org: dict[str, Any], form: dict[str, Any] | None, problem: str
) -> None:
    # JSON too: YAML cannot carry a NUL character unescaped, JSON writes it as \u0000.
    for path in (write(tmp_path, document(org, form)), tmp_path / "config.json"):
        if path.suffix == ".json":
            import json

            path.write_text(json.dumps(document(org, form)), encoding="utf-8")
        assert problem in failed_import(path)
        assert nothing_written()


def test_the_limits_themselves_are_accepted(cast: Cast, tmp_path: Path) -> None:
    fields = [
        {"key": f"c{n}", "label": "L" * limits.MAX_FIELD_LABEL, "type": "choice", "choices": choices(200)}
        for n in range(5)
    ]
    fields += [{"key": f"t{n}", "label": f"T{n}", "type": "text", "help_text": "h" * 500} for n in range(95)]
    path = write(tmp_path, document({"idle_timeout_minutes": 1440, "retention_days": 36500}, {"fields": fields}))
    call_command("config", "import", str(path), stdout=StringIO(), stderr=StringIO())
    form = CallForm.objects.get(report_ver="4440001")
    assert len(form.current_revision().definition.fields) == 100


def test_the_organization_page_refuses_the_same_idle_timeout(cast: Cast, ada: Client) -> None:
    response = ada.post(
        "/configure/settings/",
        {"name": "Lifeline", "time_zone": "UTC", "phone_region": "US", "idle_timeout_minutes": "10000000"},
    )
    assert response.status_code == 400
    assert "less than or equal to 1440" in response.content.decode()
    cast.org_a.refresh_from_db()
    assert cast.org_a.idle_timeout_minutes == 30


def test_the_form_editor_refuses_200_fields_of_500_choices(cast: Cast, ada: Client) -> None:
    rows = [
        {"key": f"c{n}", "label": f"C{n}", "type": "choice", "choices": "\n".join(choices(500))} for n in range(200)
    ]
    before = FormRevision.objects.filter(form=cast.form_a).count()
    response = ada.post(f"/configure/forms/{cast.form_a.public_id}/", definition_post("Crisis call", rows))
    assert response.status_code == 400
    assert FormRevision.objects.filter(form=cast.form_a).count() == before


def test_the_form_editor_refuses_a_field_of_too_many_choices_with_the_same_words(cast: Cast, ada: Client) -> None:
    rows = [{"key": "topic", "label": "Topic", "type": "choice", "choices": "\n".join(choices(201))}]
    response = ada.post(f"/configure/forms/{cast.form_a.public_id}/", definition_post("Crisis call", rows))
    assert response.status_code == 400
    assert "a field has at most 200 choices (201 given)" in response.content.decode()


def test_the_form_editor_refuses_a_nul_character(cast: Cast, ada: Client) -> None:
    rows = [{"key": "topic", "label": "Topic", "type": "choice", "choices": "A\x00B"}]
    response = ada.post(f"/configure/forms/{cast.form_a.public_id}/", definition_post("Crisis call", rows))
    assert response.status_code == 400


def test_the_mapping_page_stops_at_the_limit(cast: Cast, ada: Client) -> None:
    from calldesk.callforms.services import MappingRule, replace_mappings

    rules = [MappingRule(f"p{n}", "", "dialled_number", "") for n in range(limits.MAX_MAPPINGS_PER_FORM)]
    replace_mappings(cast.form_a, rules)
    response = ada.post(
        f"/configure/forms/{cast.form_a.public_id}/mappings/",
        {"parameter": "one_more", "value": "", "field_key": "dialled_number", "field_value": ""},
    )
    assert "at most 500 mappings" in response.content.decode()
    assert cast.form_a.mappings.count() == limits.MAX_MAPPINGS_PER_FORM
