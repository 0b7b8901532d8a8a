"""`calldesk config import` bounds the document before it is built: a huge file, deep
nesting, complex YAML keys, enormous numbers and alias bombs each get a problem with its
place, never a traceback, and reading a file of small entries stays within modest memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from calldesk.accounts.models import Organization
from calldesk.lib import limits

ROOT = Path(__file__).resolve().parent.parent


def problems_of(path: Path) -> str:
    err = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("config", "import", str(path), stdout=StringIO(), stderr=err)
    assert "nothing was changed" in str(raised.value)
    return err.getvalue() + str(raised.value)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["deep.yaml", "deep.json"])
def test_a_deeply_nested_document_is_a_problem_not_a_recursion_error(db: None, tmp_path: Path, name: str) -> None:
    depth = 100_000
    text = '{"organizations": ' + "[" * depth + "]" * depth + "}"
    found = problems_of(write(tmp_path, name, text))
    assert f"nested more than {limits.MAX_DOCUMENT_DEPTH} levels deep" in found
    if name.endswith(".yaml"):
        assert "line 1, column" in found


def test_a_document_nested_just_past_the_limit_is_refused_and_at_the_limit_read(db: None, tmp_path: Path) -> None:
    def nested(levels: int) -> str:
        # the document's mapping is level 1, the organizations list level 2, and so on
        inner = levels - 1
        return '{"organizations": ' + "[" * inner + "]" * inner + "}"

    assert "nested more than" in problems_of(write(tmp_path, "over.yaml", nested(limits.MAX_DOCUMENT_DEPTH + 1)))
    assert "nested more than" not in problems_of(write(tmp_path, "at.yaml", nested(limits.MAX_DOCUMENT_DEPTH)))


def test_a_yaml_complex_key_is_a_problem_with_its_line(db: None, tmp_path: Path) -> None:
    text = "organizations:\n  - slug: x\n    name: X\n    ? [a, b]\n    : c\n"
    found = problems_of(write(tmp_path, "complex.yaml", text))
    assert "line 4, column 7: a key must be a plain name, not a list or mapping" in found


def test_a_flow_mapping_key_is_refused_too(db: None, tmp_path: Path) -> None:
    found = problems_of(write(tmp_path, "flow.yaml", "organizations: [{slug: x, name: X, {a: 1}: 2}]\n"))
    assert "a key must be a plain name" in found


@pytest.mark.parametrize(
    ("name", "number"),
    [("huge.yaml", "9" * 30), ("huge.json", "9" * 30), ("enormous.yaml", "9" * 5000), ("enormous.json", "9" * 5000)],
)
def test_an_enormous_number_is_a_problem_with_its_place(db: None, tmp_path: Path, name: str, number: str) -> None:
    text = '{"organizations": [{"slug": "big", "name": "Big", "idle_timeout_minutes": ' + number + "}]}"
    found = problems_of(write(tmp_path, name, text))
    assert "organizations[0].idle_timeout_minutes: must be a whole number from 1 to 1,440" in found
    assert not Organization.objects.filter(slug="big").exists()


def test_a_number_past_64_bits_never_reaches_the_database(db: None, tmp_path: Path) -> None:
    text = '{"organizations": [{"slug": "big", "name": "Big", "retention_days": 9223372036854775808}]}'
    assert "retention_days: must be a whole number from 1 to 36,500" in problems_of(write(tmp_path, "c.json", text))


def test_a_nul_character_in_json_is_a_problem_with_its_place(db: None, tmp_path: Path) -> None:
    text = json.dumps({"organizations": [{"slug": "nul", "name": "A\x00B"}]})
    found = problems_of(write(tmp_path, "nul.json", text))
    assert "organizations[0].name: must not contain a NUL character" in found


def test_a_raw_nul_byte_in_yaml_is_a_problem(db: None, tmp_path: Path) -> None:
    found = problems_of(write(tmp_path, "nul.yaml", "organizations:\n  - slug: nul\n    name: A\x00B\n"))
    assert "line 3, column 12: the character #x0000 is not allowed in a YAML file" in found


def test_an_alias_bomb_is_refused(db: None, tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for n in range(1, 9):
        previous = f"*a{n - 1}"
        lines.append(f"a{n}: &a{n} [{', '.join([previous] * 10)}]")
    lines.append("organizations: *a8")
    found = problems_of(write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n"))
    assert f"more than {limits.MAX_DOCUMENT_NODES:,} values" in found


def test_a_file_past_the_size_limit_is_refused_before_it_is_read(db: None, tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as file:
        file.truncate(50 * 1024 * 1024)  # a sparse 50 MB file
    assert "the file is larger than 5 MB" in problems_of(path)


def test_standard_input_past_the_size_limit_is_refused(db: None, tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3", "CALLDESK_PLAIN_STATIC": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "calldesk.cli", "config", "import", "-"],
        input=b"# " + b"x" * (6 * 1024 * 1024),
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert b"standard input was not imported: the file is larger than 5 MB" in done.stderr
    assert b"Traceback" not in done.stderr


@pytest.mark.slow
def test_a_file_of_many_small_entries_is_refused_within_modest_memory(tmp_path: Path) -> None:
    """Just under the size limit, a list of a million one-letter entries: the loader stops
    counting at the node limit, so the process stays far from the gigabytes it once took."""
    path = tmp_path / "many.yaml"
    body = "organizations:\n" + "- a\n" * ((limits.MAX_DOCUMENT_BYTES - 100) // 4)
    path.write_text(body, encoding="utf-8")
    assert path.stat().st_size < limits.MAX_DOCUMENT_BYTES
    script = (
        "import sys, django, os\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'calldesk.settings')\n"
        "django.setup()\n"
        "from django.core.management import call_command\n"
        "from django.core.management.base import CommandError\n"
        f"try: call_command('config', 'import', {str(path)!r})\n"
        "except CommandError as e: print('refused:', e, file=sys.stderr)\n"
        # The peak of this process's own memory (VmHWM, in kB). Not getrusage's ru_maxrss: Linux
        # keeps the largest of the process images before exec, so it reports the forking test
        # runner's size (~490 MB late in a full run), not what the import took.
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')))\n"
    )
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3", "CALLDESK_PLAIN_STATIC": "1"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert f"more than {limits.MAX_DOCUMENT_NODES:,} values" in done.stderr, done.stderr[-2000:]
    peak_mb = int(done.stdout.strip().splitlines()[-1]) / 1024
    # Once gigabytes; about 200 MB now, of which Calldesk's own start-up is some 75 MB.
    assert peak_mb < 300, f"peak memory {peak_mb:.0f} MB"
