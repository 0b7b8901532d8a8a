"""YAML 1.1 reads some unquoted words as other types: `2008-02-30` as a date (a traceback, no
such day), `no`/`off`/`Yes` as booleans. In `calldesk config import` every text setting keeps
the word as written; only the flags take true or false; an explicit tag a value cannot hold is
a problem at its place in the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from calldesk.accounts.models import Organization, User
from calldesk.callforms.models import CallForm, Mapping
from tests.test_config_import import failed_import, run_import, write

pytestmark = pytest.mark.django_db

WORDS = """
organizations:
  - slug: acme
    name: No
    time_zone: UTC
    two_factor_roles: [admin]
    users:
      - {email: dates@acme.example, name: 2008-02-30, agent_id: 2008-02-28, password: long-enough-password}
      - {email: words@acme.example, name: Yes, agent_id: off, active: no, password: long-enough-password}
      - {email: later@acme.example, name: 12:30, agent_id: 2001-12-14t21:59:43.10-05:00, password: long-enough-pw}
    forms:
      - report_ver: 2008-02-30
        name: On
        retired: off
        fields:
          - {key: answer, label: No, type: choice, choices: [Yes, No, {label: Off, code: n}], required: yes}
          - {key: notes, label: Notes, type: long_text, personal: on}
        mappings:
          - {parameter: on, value: no, field: answer, field_value: No}
"""


def test_words_and_dates_stay_the_text_written_and_flags_stay_flags(tmp_path: Path) -> None:
    run_import(write(tmp_path, WORDS))
    assert Organization.objects.get(slug="acme").name == "No"
    dates = User.objects.get(email="dates@acme.example")
    assert (dates.name, dates.agent_id) == ("2008-02-30", "2008-02-28")
    words = User.objects.get(email="words@acme.example")
    assert (words.name, words.agent_id, words.is_active) == ("Yes", "off", False)
    later = User.objects.get(email="later@acme.example")
    assert (later.name, later.agent_id) == ("12:30", "2001-12-14t21:59:43.10-05:00")
    form = CallForm.objects.get(report_ver="2008-02-30")
    assert form.name == "On" and form.retired_at is None
    definition = form.revisions.get().definition_json
    answer = definition["fields"][0]
    assert answer["label"] == "No" and answer["required"] is True
    assert [choice["label"] for choice in answer["choices"]] == ["Yes", "No", "Off"]
    assert definition["fields"][1]["personal"] is True
    mapping = Mapping.objects.get(form=form)
    assert (mapping.parameter, mapping.value, mapping.field_value) == ("on", "no", "No")
    run_import(write(tmp_path, WORDS))  # and a second run changes nothing
    assert CallForm.objects.get(report_ver="2008-02-30").revisions.count() == 1


def test_a_value_an_explicit_tag_cannot_hold_is_a_problem_at_its_place(tmp_path: Path) -> None:
    problems = failed_import(
        write(
            tmp_path,
            "organizations:\n  - slug: acme\n    name: !!timestamp 2008-02-30\n    idle_timeout_minutes: !!int x\n",
        )
    )
    assert any(line.startswith("line 3, column 11:") and "2008-02-30" in line for line in problems), problems
    assert not Organization.objects.exists()


def test_a_flag_that_is_not_true_or_false_is_named_by_place(tmp_path: Path) -> None:
    problems = failed_import(
        write(
            tmp_path,
            "organizations:\n  - slug: acme\n    name: Acme\n    users:\n"
            "      - {email: a@acme.example, active: maybe}\n",
        )
    )
    assert "organizations[0].users[0].active: must be true or false" in "\n".join(problems)
