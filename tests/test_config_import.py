"""`calldesk config import FILE` (SPEC §5): idempotent, all-or-nothing, every problem with its place."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.core.management.base import CommandError

from calldesk.accounts.models import Organization, User
from calldesk.callforms.models import CallForm, FormRevision, Mapping
from calldesk.configure.models import AuditEntry
from tests.cast import Cast

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "config-example.yaml"

SMALL = """
organizations:
  - slug: acme
    name: Acme
    time_zone: America/New_York
    phone_region: US
    users:
      - {email: Bob@Acme.com, name: Bob, role: specialist, agent_id: 34, password: long-enough-password}
    forms:
      - report_ver: 1234567
        name: Referral
        fields:
          - {key: language, label: Language, type: choice, choices: [{label: Spanish, code: 112211}]}
          - {key: notes, label: Notes, type: long_text, personal: true}
        mappings:
          - {parameter: Language, field: language}
"""


def run_import(path: Path) -> str:
    out = StringIO()
    call_command("config", "import", str(path), stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def failed_import(path: Path) -> list[str]:
    """Import a file that must fail; return the problems it printed, one per line."""
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("config", "import", str(path), stdout=StringIO(), stderr=err)
    return err.getvalue().strip().splitlines()


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every configuration row with every column (timestamps and password hashes included)."""
    return {
        "organizations": list(Organization.objects.order_by("pk").values()),
        "users": list(User.objects.order_by("pk").values()),
        "forms": list(CallForm.objects.order_by("pk").values()),
        "revisions": list(FormRevision.objects.order_by("pk").values()),
        "mappings": list(Mapping.objects.order_by("pk").values()),
    }


@pytest.mark.django_db
def test_the_documented_example_imports(tmp_path: Path) -> None:
    assert run_import(EXAMPLE) == "created 1 organization, 5 users, 2 forms; changed nothing else"
    org = Organization.objects.get(slug="northside")
    assert (org.time_zone, org.phone_region, org.idle_timeout_minutes, org.retention_days) == (
        "America/Chicago",
        "US",
        20,
        365,
    )
    jo = User.objects.get(email="jo@northside.example")
    assert jo.organization == org and jo.agent_id == "1001" and jo.check_password("change-me-at-first-login")
    former = User.objects.get(email="former@northside.example")
    assert not former.is_active and not former.has_usable_password()
    crisis = CallForm.objects.get(report_ver="7001001")
    definition = crisis.current_revision().definition
    assert definition.field("language").choice_for("2").label == "Spanish"  # type: ignore[union-attr]
    assert definition.field("summary").personal and definition.field("summary").required  # type: ignore[union-attr]
    assert [str(m) for m in crisis.mappings.all()] == [
        "lang → language",
        "dnis=8005550100 → incoming_line = Main line",
        "dnis=8005550199 → incoming_line = Youth line",
        "dnis → dialled_number",
    ]
    assert CallForm.objects.get(report_ver="7001000").is_retired


@pytest.mark.django_db
def test_importing_twice_changes_nothing_the_second_time(tmp_path: Path) -> None:
    run_import(EXAMPLE)
    before = snapshot()
    assert run_import(EXAMPLE) == "nothing changed"
    assert snapshot() == before
    assert FormRevision.objects.count() == 2


@pytest.mark.django_db
def test_numbers_and_case_in_the_file_do_not_make_the_second_import_change_anything(tmp_path: Path) -> None:
    path = write(tmp_path, SMALL)
    assert run_import(path) == "created 1 organization, 1 user, 1 form; changed nothing else"
    before = snapshot()
    assert run_import(path) == "nothing changed"
    assert snapshot() == before
    bob = User.objects.get(email="bob@acme.com")
    assert bob.agent_id == "34"
    assert Mapping.objects.get().parameter == "language"


@pytest.mark.django_db
def test_unquoted_ids_are_kept_as_written_not_read_as_octal_or_sexagesimal_numbers(tmp_path: Path) -> None:
    # YAML 1.1 reads 0034 as octal 28, 1_000 as 1000 and 1:30 as 90: an agent ID or a
    # reportVer would silently become another one.
    text = """
organizations:
  - slug: acme
    name: Acme
    idle_timeout_minutes: 45
    users:
      - {email: a@acme.com, agent_id: 0034, password: long-enough-password}
      - {email: b@acme.com, agent_id: 1_000, password: long-enough-password}
      - {email: c@acme.com, agent_id: 1:30, password: long-enough-password}
      - {email: d@acme.com, agent_id: 1.10, password: long-enough-password}
    forms:
      - {report_ver: 0991234, name: Call, fields: []}
"""
    path = write(tmp_path, text)
    run_import(path)
    agent_ids = dict(User.objects.values_list("email", "agent_id"))
    assert agent_ids == {"a@acme.com": "0034", "b@acme.com": "1_000", "c@acme.com": "1:30", "d@acme.com": "1.10"}
    assert CallForm.objects.get().report_ver == "0991234"
    assert Organization.objects.get().idle_timeout_minutes == 45
    assert run_import(path) == "nothing changed"


@pytest.mark.django_db
def test_a_changed_definition_publishes_one_new_revision_and_keeps_the_old(tmp_path: Path) -> None:
    run_import(write(tmp_path, SMALL))
    changed = SMALL.replace("{key: notes, label: Notes,", "{key: notes, label: Caller's story,")
    assert run_import(write(tmp_path, changed)) == "changed 1 form (1 new revision)"
    form = CallForm.objects.get(report_ver="1234567")
    assert list(form.revisions.values_list("number", flat=True).order_by("number")) == [1, 2]
    assert form.current_revision().definition.field("notes").label == "Caller's story"  # type: ignore[union-attr]
    assert form.revisions.get(number=1).definition.field("notes").label == "Notes"  # type: ignore[union-attr]
    assert run_import(write(tmp_path, changed)) == "nothing changed"


@pytest.mark.django_db
def test_a_matching_password_is_not_rehashed_and_a_new_one_is(tmp_path: Path) -> None:
    run_import(write(tmp_path, SMALL))
    first_hash = User.objects.get(email="bob@acme.com").password
    run_import(write(tmp_path, SMALL))
    assert User.objects.get(email="bob@acme.com").password == first_hash
    assert run_import(write(tmp_path, SMALL.replace("long-enough-password", "a-brand-new-password"))) == (
        "changed 1 user"
    )
    assert check_password("a-brand-new-password", User.objects.get(email="bob@acme.com").password)


@pytest.mark.django_db
def test_settings_left_out_keep_their_values_and_unnamed_users_and_forms_are_left_alone(
    cast: Cast, tmp_path: Path
) -> None:
    before = snapshot()
    text = "organizations:\n  - slug: lifeline\n    name: Lifeline\n"
    assert run_import(write(tmp_path, text)) == "nothing changed"
    assert snapshot() == before
    text = "organizations:\n  - slug: lifeline\n    name: Lifeline helpline\n    idle_timeout_minutes: 15\n"
    assert run_import(write(tmp_path, text)) == "changed 1 organization"
    org = Organization.objects.get(slug="lifeline")
    assert (org.name, org.idle_timeout_minutes, org.time_zone) == ("Lifeline helpline", 15, "America/New_York")
    assert org.users.count() == 4 and org.forms.count() == 1


@pytest.mark.django_db
def test_an_existing_user_changes_role_and_can_be_deactivated(cast: Cast, tmp_path: Path) -> None:
    text = """
organizations:
  - slug: lifeline
    name: Lifeline
    users:
      - {email: kim@lifeline.example, role: supervisor, active: false}
"""
    assert run_import(write(tmp_path, text)) == "changed 1 user"
    kim = User.objects.get(email="kim@lifeline.example")
    assert (kim.role, kim.is_active, kim.name, kim.agent_id) == ("supervisor", False, "Kim Specialist", "35")


@pytest.mark.django_db
def test_a_json_file_is_read_as_json(tmp_path: Path) -> None:
    text = '{"organizations": [{"slug": "j", "name": "J", "time_zone": "UTC", "phone_region": "GB"}]}'
    assert run_import(write(tmp_path, text, "config.json")) == "created 1 organization; changed nothing else"
    assert Organization.objects.get(slug="j").phone_region == "GB"


BROKEN = """
organizations:
  - slug: lifeline
    name: Renamed by a broken file
  - slug: acme
    name: Acme
    time_zone: Mars/Olympus
    phone_region: XX
    idle_timeout_minutes: soon
    retention_days: -1
    colour: blue
    users:
      - {email: not-an-email, role: boss, active: "yes", password: short}
      - {email: sam@lifeline.example}
      - {email: new@acme.example}
      - {email: NEW@acme.example}
    forms:
      - report_ver: 9991234
        name: Taken
        fields: [{key: notes, label: Notes, type: text}]
      - report_ver: 1234567
        name: Referral
        fields:
          - {key: language, label: Language, type: choice, choices: [{label: Spanish, code: 112211}]}
          - {key: line, label: Line, type: choice}
          - {key: notes, label: Notes, type: paragraph}
          - {key: notes, label: Notes again, type: text, required: maybe}
        mappings: []
      - report_ver: 7777777
        name: Mapped
        fields: [{key: language, label: Language, type: choice, choices: [Spanish]}]
        mappings:
          - {parameter: language, field: langauge}
          - {parameter: language, field: language, field_value: Klingon}
          - {parameter: ani, field: language}
      - report_ver: 7777777
        name: Twice
"""


@pytest.mark.django_db
def test_a_broken_file_changes_nothing_and_lists_every_problem_with_its_place(cast: Cast, tmp_path: Path) -> None:
    before = snapshot()
    problems = failed_import(write(tmp_path, BROKEN))
    assert snapshot() == before
    expected = [
        "organizations[1].colour: unknown setting",  # unknown settings come first, then the known ones
        "organizations[1].time_zone: `Mars/Olympus` is not a time zone name",
        "organizations[1].phone_region: `XX` is not a phone region",
        "organizations[1].idle_timeout_minutes: must be a whole number",
        "organizations[1].retention_days: must be a whole number",
        "organizations[1].users[0].email: `not-an-email` is not an email address",
        "organizations[1].users[0].role: `boss` is not one of specialist, supervisor, admin",
        "organizations[1].users[0].active: must be true or false",
        "organizations[1].users[0].password: This password is too short.",
        "organizations[1].users[1].email: `sam@lifeline.example` belongs to a user of another organization",
        "organizations[1].users[3].email: email `new@acme.example` is already given at organizations[1].users[2].email",
        "organizations[1].forms[0].report_ver: reportVer `9991234` belongs to another organization",
        "organizations[1].forms[1].fields[1].choices: a choice field needs at least one choice",
        "organizations[1].forms[1].fields[2].type: `paragraph` is not one of",
        "organizations[1].forms[1].fields[3].required: must be true or false",
        "organizations[1].forms[2].mappings[0]: the form has no field `langauge`",
        "organizations[1].forms[2].mappings[1]: `Klingon` is not a choice of Language",
        "organizations[1].forms[2].mappings[2]: `ani` has its own meaning in the URL",
        "organizations[1].forms[3].report_ver: reportVer `7777777` is already given at organizations[1].forms[2]",
    ]
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected, strict=True):  # in the order of the file
        assert problem.startswith(start), (problem, start)
    assert Organization.objects.get(slug="lifeline").name == "Lifeline"
    assert not Organization.objects.filter(slug="acme").exists()


@pytest.mark.django_db
def test_a_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    text = "organizations:\n  - slug: acme\n    name: Acme\n   time_zone: UTC\n"
    assert failed_import(write(tmp_path, text)) == [
        "line 4, column 4: expected <block end>, but found '<block mapping start>'"
    ]
    assert not Organization.objects.exists()


@pytest.mark.django_db
def test_a_setting_given_twice_names_its_line(tmp_path: Path) -> None:
    text = "organizations:\n  - slug: acme\n    name: Acme\n    name: Acme again\n"
    assert failed_import(write(tmp_path, text)) == ["line 4, column 5: `name` is given twice in the same mapping"]


@pytest.mark.django_db
def test_a_json_syntax_error_names_its_line(tmp_path: Path) -> None:
    problems = failed_import(write(tmp_path, '{"organizations": [\n  {"slug": "a",}\n]}', "c.json"))
    assert len(problems) == 1 and problems[0].startswith("line 2, column")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("- just a list\n", "document: must be a mapping with `organizations`"),
        ("organizations: acme\n", "document.organizations: must be a list"),
        ("organisations: []\n", "document.organisations: unknown setting"),
        ("organizations: [acme]\n", "organizations[0]: must be a mapping"),
        ("organizations:\n  - {slug: a b, name: A}\n", "organizations[0].slug: `a b` must be letters"),
        ("organizations:\n  - {slug: a, name: [A]}\n", "organizations[0].name: must be text"),
        ("organizations:\n  - {slug: a}\n", "organizations[0].name: is required"),
        ("organizations:\n  - {slug: a, name: A, users: {email: x}}\n", "organizations[0].users: must be a list"),
        (
            "organizations:\n  - {slug: a, name: A, forms: [{report_ver: '1', name: F, fields: x}]}\n",
            "organizations[0].forms[0].fields: must be a list",
        ),
        (
            "organizations:\n  - {slug: a, name: A, forms: [{report_ver: '1', name: F, mappings: [{field: x}]}]}\n",
            "organizations[0].forms[0].mappings[0].parameter: is required",
        ),
        ("version: 2\norganizations: []\n", "document.version: this Calldesk reads version 1"),
        ("organizations:\n  - {slug: a, name: " + "x" * 201 + "}\n", "organizations[0].name: is longer than 200"),
        (
            "organizations:\n  - {slug: a, name: A, users: [{email: a@b.example, agent_id: " + "9" * 65 + "}]}\n",
            "organizations[0].users[0].agent_id: is longer than 64",
        ),
        (
            "organizations:\n  - {slug: a, name: A, users: [{email: a@b.example, password_hash: plain}]}\n",
            "organizations[0].users[0].password_hash: is not a password hash",
        ),
        (
            "organizations:\n  - {slug: a, name: A, users: [{email: a@b.example, password: long-enough-pw, "
            "password_hash: x}]}\n",
            "organizations[0].users[0]: give `password` or `password_hash`, not both",
        ),
    ],
)
def test_wrong_shapes_and_types_are_named_by_place(tmp_path: Path, text: str, problem: str) -> None:
    problems = failed_import(write(tmp_path, text))
    assert any(p.startswith(problem) for p in problems), problems
    assert not Organization.objects.exists()


@pytest.mark.django_db
def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        call_command("config", "import", str(tmp_path / "nope.yaml"), stdout=StringIO(), stderr=StringIO())


def test_the_command_line_exits_non_zero_on_a_broken_file(tmp_path: Path) -> None:
    path = write(tmp_path, "organizations:\n  - slug: acme\n   name: Acme\n")
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(  # the syntax error stops it before any database is opened
        [sys.executable, "-m", "calldesk.cli", "config", "import", str(path)],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        timeout=60,
    )
    assert result.returncode != 0
    assert "line 3, column" in result.stderr
    assert "nothing was changed" in result.stderr


def test_the_documentation_shows_the_example_file_as_it_is() -> None:
    doc = (EXAMPLE.parent / "config.md").read_text(encoding="utf-8")
    assert "```yaml\n" + EXAMPLE.read_text(encoding="utf-8") + "```" in doc


@pytest.mark.django_db
def test_an_import_that_changes_an_organization_is_in_its_audit_trail(tmp_path: Path) -> None:
    path = write(tmp_path, SMALL)
    run_import(path)
    run_import(path)
    [entry] = AuditEntry.objects.all()
    assert (entry.organization.slug, entry.user, entry.action) == ("acme", None, "config.import")
    assert entry.details == {"summary": "created 1 organization, 1 user, 1 form; changed nothing else"}
