"""Production settings: `calldesk check --deploy` is clean with README's production
variables, HSTS comes from the environment, and `calldesk serve` refuses the public key."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parent.parent


def readme_production_variables() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- production-variables -->\n```sh\n(.*?)```", text, re.S)
    assert block, "README.md has the production variables block"
    variables = {}
    for line in block.group(1).splitlines():
        name, _, value = re.sub(r"\s+#.*$", "", line).partition("=")
        variables[name.strip()] = value.strip()
    return variables


def calldesk(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "DEBUG")}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-m", "calldesk.cli", *args],
        cwd=ROOT,
        env={**clean, "CALLDESK_PLAIN_STATIC": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_readmes_production_variables(tmp_path: Path) -> None:
    variables = readme_production_variables()
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "SECURE_HSTS_SECONDS", "SECURE_COOKIES"} <= set(variables)
    # The README's key is a placeholder to replace; a real one is long and random.
    variables["SECRET_KEY"] = secrets.token_urlsafe(50)
    done = calldesk("check", "--deploy", "--fail-level", "WARNING", env=variables)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_check_deploy_warns_without_them() -> None:
    done = calldesk("check", "--deploy", "--fail-level", "WARNING", env={})
    assert done.returncode != 0
    for warning in ("security.W004", "security.W009", "security.W012"):
        assert warning in done.stdout + done.stderr


def test_hsts_is_sent_over_https_when_set(db: None) -> None:
    with override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True):
        response = Client().get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_hsts_is_read_from_the_environment() -> None:
    script = "from django.conf import settings; print(settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_PRELOAD)"
    env = {"SECURE_HSTS_SECONDS": "3600", "SECURE_HSTS_PRELOAD": "true", "DJANGO_SETTINGS_MODULE": "calldesk.settings"}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + script],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "3600 True", done.stderr


@pytest.mark.parametrize("key", [None, "calldesk-local-only-insecure-key-change-me", ""])
def test_serve_refuses_the_public_secret_key(key: str | None) -> None:
    env = {} if key is None else {"SECRET_KEY": key}
    done = calldesk("serve", "--port", "1", "--skip-collectstatic", env=env)
    assert done.returncode == 1
    assert "SECRET_KEY is not set" in done.stderr
    assert "Traceback" not in done.stderr
