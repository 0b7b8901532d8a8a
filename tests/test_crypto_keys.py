"""Keys for callers' data: from the environment, or a key file made on the first start with a loud
warning from `check --deploy`; a bad key or a tampered value is a clear error."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from calldesk.lib.crypto import CryptoError, keyring, new_key, opener, phone_hash, seal, unseal

NO_KEYS = {"CALLDESK_DATA_KEYS": [], "CALLDESK_HASH_KEY": "", "CALLDESK_BACKUP_KEY": ""}


def deploy_check() -> str:
    err = StringIO()
    call_command("check", "--deploy", stdout=StringIO(), stderr=err)
    return err.getvalue()


def test_without_keys_a_private_key_file_is_made_once_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "var" / "keys.json"
    with override_settings(**NO_KEYS, CALLDESK_KEY_FILE=path):
        sealed = seal("+12125550147")
        first = keyring().primary.id
        assert path.stat().st_mode & 0o777 == 0o600
        assert "+12125550147" not in path.read_text()
    with override_settings(**NO_KEYS, CALLDESK_KEY_FILE=path):  # the next start reads the same file
        assert keyring().primary.id == first
        assert unseal(sealed) == "+12125550147"


def test_check_deploy_warns_about_every_key_not_set_explicitly(tmp_path: Path) -> None:
    with override_settings(**NO_KEYS, CALLDESK_KEY_FILE=tmp_path / "keys.json"):
        warned = deploy_check()
    for name in ("CALLDESK_DATA_KEYS", "CALLDESK_HASH_KEY", "CALLDESK_BACKUP_KEY"):
        assert f"{name} is not set" in warned
    assert "calldesk.W101" in warned


def test_check_deploy_is_quiet_about_keys_set_in_the_environment() -> None:
    assert "CALLDESK_" not in deploy_check()  # tests/settings.py sets all three


@pytest.mark.parametrize("bad", ["not base64 at all!", "c2hvcnQ="], ids=["not-base64", "too-short"])
def test_a_malformed_key_stops_every_command_with_its_name(bad: str) -> None:
    with override_settings(CALLDESK_DATA_KEYS=[bad]), pytest.raises(SystemCheckError, match="CALLDESK_DATA_KEYS"):
        call_command("check", stdout=StringIO(), stderr=StringIO())


def test_a_tampered_value_is_refused_not_misread() -> None:
    sealed = seal("Ximena")
    tampered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    with pytest.raises(CryptoError, match="does not open"):
        unseal(tampered)


def test_the_same_text_seals_differently_but_hashes_the_same() -> None:
    assert seal("+12125550147") != seal("+12125550147")
    assert phone_hash("+12125550147") == phone_hash("+12125550147") != phone_hash("+12125550148")
    assert phone_hash("") == ""
    here = phone_hash("+12125550147")
    with override_settings(CALLDESK_HASH_KEY=new_key()):  # another installation's key: another hash
        assert phone_hash("+12125550147") != here


def test_plaintext_from_before_encryption_reads_as_it_is() -> None:
    assert unseal("999-123-4567") == "999-123-4567"


def test_the_opener_of_many_values_reads_and_refuses_as_unseal_does() -> None:
    """Exports open millions of values with one opener: the same texts, the same errors."""
    old_key, new = new_key(), new_key()
    with override_settings(CALLDESK_DATA_KEYS=[old_key]):
        sealed_before_rotation = seal("José “Pepe” O'Brien\n")
    with override_settings(CALLDESK_DATA_KEYS=[new, old_key]):
        opened = opener()
        fresh = seal("Ximena")
        assert opened(fresh) == unseal(fresh) == "Ximena"
        assert opened(sealed_before_rotation) == "José “Pepe” O'Brien\n"
        assert opened("999-123-4567") == "999-123-4567" and opened("") == ""
        tampered = fresh[:-6] + ("A" if fresh[-6] != "A" else "B") + fresh[-5:]
        with pytest.raises(CryptoError, match="does not open"):
            opened(tampered)
    with override_settings(CALLDESK_DATA_KEYS=[new]), pytest.raises(CryptoError, match="not among"):
        opener()(sealed_before_rotation)
