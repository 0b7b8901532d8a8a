"""Caller profiles at rest: sealed in a raw dump, blanked by retention like reports' personal
fields, in the configuration document only when asked (`--with-callers`), never in a log."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from calldesk.callers import services
from calldesk.callers.models import CallerNumber, CallerProfile
from calldesk.reports.retention import run_retention
from tests.cast import Cast
from tests.reportdata import make_report
from tests.test_encryption_at_rest import raw_dump
from tests.test_key_rotation import NEW, NEW_ID, old_key, rotate

NAME = "Zephyrine Abernathy-Quist"
INSTRUCTIONS = "Mention the Thistlewood clinic first"
ALERT = "Safety plan with Dr Marchetti-Oyelaran"
NUMBERS = ["+12125550147", "2125550147", "+16465550123", "6465550123"]
SECRETS = [NAME, "Abernathy", INSTRUCTIONS, "Thistlewood", ALERT, "Marchetti", *NUMBERS]


def profile_of(cast: Cast) -> CallerProfile:
    profile, made = services.create_profile(cast.supervisor, "+12125550147")
    assert made
    services.update_profile(cast.supervisor, profile, NAME, INSTRUCTIONS)
    services.add_alert(cast.supervisor, profile, ALERT)
    services.add_alert(cast.supervisor, profile, "Call-time limit 10 min", timezone.now() + timedelta(days=30))
    services.link_number(cast.supervisor, profile, "+16465550123")
    services.block_caller(cast.supervisor, profile, None)
    return profile


@pytest.mark.django_db(transaction=True)  # pg_dump reads committed rows only
def test_a_raw_dump_holds_no_profile_text_and_no_number(cast: Cast) -> None:
    profile = profile_of(cast)
    dump = raw_dump()
    assert "callers_callerprofile" in dump and "callers_callernumber" in dump
    leaked = [secret for secret in SECRETS if secret.lower() in dump.lower()]
    assert leaked == []
    # Whether a caller is blocked is sealed too: the block column never reads in clear.
    with connection.cursor() as cursor:
        cursor.execute("SELECT block, preferred_name, alerts FROM callers_callerprofile")
        ((block, name, alerts),) = cursor.fetchall()
    assert block.startswith("cd1:") and name.startswith("cd1:") and alerts.startswith("cd1:")
    # …and it all still reads plain through the models.
    again = CallerProfile.objects.get(pk=profile.pk)
    assert again.preferred_name == NAME and again.alert_list()[0].text == ALERT
    assert services.check_number(cast.org_a.pk, "+16465550123") == (True, None)


def test_nothing_of_a_profile_reaches_a_log(cast: Cast, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        profile_of(cast)
    text = caplog.text + "".join(str(record.args) for record in caplog.records)
    assert [secret for secret in SECRETS if secret in text] == []


NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _age(profile: CallerProfile, days: int) -> None:
    CallerProfile.objects.filter(pk=profile.pk).update(updated_at=NOW - timedelta(days=days))


def test_retention_blanks_a_profile_not_changed_and_not_called_since_the_cutoff(cast: Cast) -> None:
    cast.org_a.retention_days = 90
    cast.org_a.save()
    stale = profile_of(cast)
    _age(stale, 200)
    kept, _ = services.create_profile(cast.supervisor, "+13125550100")
    services.update_profile(cast.supervisor, kept, "Recent", "")
    _age(kept, 10)
    called, _ = services.create_profile(cast.supervisor, "+14155550100")
    services.update_profile(cast.supervisor, called, "Still calls", "")
    _age(called, 200)
    make_report(cast.form_a, cast.specialist, NOW - timedelta(days=5), phone=("415-555-0100", "+14155550100"))
    run_retention(cast.org_a, NOW)
    stale.refresh_from_db()
    assert stale.redacted_at == NOW
    assert (stale.preferred_name, stale.instructions) == ("", "")
    assert not stale.blocked_until(NOW)[0]
    assert stale.alerts == []
    assert not CallerNumber.objects.filter(profile=stale).exists()
    assert services.find_profile(cast.org_a.pk, "+12125550147") is None
    assert services.check_number(cast.org_a.pk, "+12125550147") == (False, None)
    for profile, name in ((kept, "Recent"), (called, "Still calls")):
        profile.refresh_from_db()
        assert profile.redacted_at is None and profile.preferred_name == name
    # Re-running changes nothing; an organization keeping data forever keeps its profiles.
    run_retention(cast.org_a, NOW)
    assert CallerProfile.objects.filter(redacted_at__isnull=False).count() == 1


def test_a_blanked_profile_no_longer_opens(cast: Cast, supervisor_client: object) -> None:
    cast.org_a.retention_days = 30
    cast.org_a.save()
    profile = profile_of(cast)
    _age(profile, 60)
    run_retention(cast.org_a, NOW)
    assert supervisor_client.get(f"/callers/{profile.public_id}/").status_code == 404  # type: ignore[attr-defined]


def export(*args: str) -> str:
    out = StringIO()
    call_command("config", "export", *args, stdout=out)
    return out.getvalue()


def test_config_export_holds_profiles_only_when_asked(cast: Cast) -> None:
    profile_of(cast)
    plain = export()
    assert [secret for secret in SECRETS if secret in plain] == []
    assert "callers" not in yaml.safe_load(plain)["organizations"][0]
    document = yaml.safe_load(export("--with-callers", "--organization", "lifeline"))
    (entry,) = document["organizations"][0]["callers"]
    assert entry["numbers"] == ["+12125550147", "+16465550123"]
    assert entry["preferred_name"] == NAME and entry["instructions"] == INSTRUCTIONS
    assert [alert["text"] for alert in entry["alerts"]] == [ALERT, "Call-time limit 10 min"]
    assert entry["block"] == {"until": None}


def test_an_export_with_callers_imports_into_an_empty_installation_and_back_unchanged(
    cast: Cast, tmp_path: Path
) -> None:
    profile_of(cast)
    text = export("--with-callers")
    CallerProfile.objects.all().delete()
    path = tmp_path / "config.yaml"
    path.write_text(text)
    out = StringIO()
    call_command("config", "import", str(path), stdout=out)
    assert "created 1 caller profile" in out.getvalue()
    assert export("--with-callers") == text
    out = StringIO()
    call_command("config", "import", str(path), stdout=out)
    assert out.getvalue().strip() == "nothing changed"
    assert services.check_number(cast.org_a.pk, "+12125550147") == (True, None)


def test_an_import_with_bad_callers_changes_nothing_and_says_where(cast: Cast, tmp_path: Path) -> None:
    document = yaml.safe_load(export())
    document["organizations"][0]["name"] = "Renamed"
    document["organizations"][0]["callers"] = [
        {"numbers": ["not a number"], "alerts": [{"text": "x" * 501}]},
        {"numbers": [], "block": {"until": "soon"}, "colour": "red"},
        {"numbers": ["+12125550147", "212-555-0147"]},
    ]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(document))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("config", "import", str(path), stdout=StringIO(), stderr=err)
    problems = err.getvalue()
    for expected in (
        "organizations[0].callers[0].numbers[0]: is not a phone number",
        "organizations[0].callers[0].alerts[0].text:",
        "organizations[0].callers[1].numbers: needs at least one number",
        "organizations[0].callers[1].block.until: must be an ISO-8601 time or null",
        "organizations[0].callers[1].colour: unknown setting",
        "callers[2].numbers[1]: this number is already given at organizations[0].callers[2].numbers[0]",
    ):
        assert expected in problems, problems
    cast.org_a.refresh_from_db()
    assert cast.org_a.name == "Lifeline" and CallerProfile.objects.count() == 0


def test_crypto_rotate_reseals_profiles_and_they_read_the_same(cast: Cast) -> None:
    profile = profile_of(cast)

    def stored() -> list[tuple[str, ...]]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT preferred_name, instructions, alerts, block FROM callers_callerprofile")
            rows = list(cursor.fetchall())
            cursor.execute("SELECT number_e164 FROM callers_callernumber")
            return rows + list(cursor.fetchall())

    with override_settings(CALLDESK_DATA_KEYS=[NEW, old_key()]):
        out = rotate()
        assert "callers_callerprofile: 1 rows read, 1 re-sealed." in out
        assert {value[4:12] for row in stored() for value in row} == {NEW_ID}
    with override_settings(CALLDESK_DATA_KEYS=[NEW]):
        again = CallerProfile.objects.get(pk=profile.pk)
        assert (again.preferred_name, again.alert_list()[0].text) == (NAME, ALERT)
        assert services.check_number(cast.org_a.pk, "+16465550123") == (True, None)
