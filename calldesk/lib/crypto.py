"""Keys, sealing and keyed hashes for caller data at rest (docs/security.md).

A sealed value is text: `cd1:<key id>:<base64 of nonce + AES-256-GCM ciphertext>`. The key id
(8 hex digits derived from the key) says which key opens it, so old keys keep decrypting after a
rotation and `calldesk crypto rotate` can tell, even in SQL, which rows still need the new key.
Text that does not start with `cd1:` is read as plaintext: rows written before encryption.

Keys come from the environment (`CALLDESK_DATA_KEYS`: the first key seals, every key opens;
`CALLDESK_HASH_KEY`; `CALLDESK_BACKUP_KEY`). Without them, a zero-configuration start uses a
key file generated once under the var directory (beside the SQLite database); `check --deploy`
warns about that, since a stolen disk then holds the keys with the data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from binascii import a2b_base64
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

PREFIX = "cd1:"
NONCE_BYTES = 12
KEY_BYTES = 32
# Hashes are cut to 128 bits: no collisions at any helpline's volume, and a smaller index.
HASH_HEX = 32


class CryptoError(Exception):
    """A key is missing, malformed, or does not open a sealed value."""


@dataclass(frozen=True)
class Key:
    id: str
    aead: AESGCM
    raw: bytes


@dataclass(frozen=True)
class Keyring:
    data: tuple[Key, ...]  # data[0] seals
    hash_key: bytes
    backup: Key
    from_file: bool  # keys generated locally, not set in the environment

    @property
    def primary(self) -> Key:
        return self.data[0]

    def by_id(self, key_id: str) -> Key | None:
        return next((key for key in self.data if key.id == key_id), None)


def new_key() -> str:
    """A fresh key in the form the settings take (URL-safe base64 of 32 random bytes)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def key_id(raw: bytes) -> str:
    return hashlib.sha256(b"calldesk-key-id:" + raw).hexdigest()[:8]


def _decode_key(text: str, name: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except ValueError:
        raise CryptoError(f"{name}: not base64 (make one with `calldesk crypto new-key`)") from None
    if len(raw) != KEY_BYTES:
        raise CryptoError(f"{name}: a key is {KEY_BYTES} bytes in base64 (make one with `calldesk crypto new-key`)")
    return raw


def _key(text: str, name: str) -> Key:
    raw = _decode_key(text, name)
    return Key(key_id(raw), AESGCM(raw), raw)


def _key_file() -> dict[str, Any]:
    """The local key file, made on first use (mode 0600). Only for a start without keys set."""
    path = Path(settings.CALLDESK_KEY_FILE)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        content = {"data_keys": [new_key()], "hash_key": new_key(), "backup_key": new_key()}
        # O_EXCL: two processes starting at once keep one file, the second reads the first's.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                json.dump(content, handle, indent=1)
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@cache
def keyring() -> Keyring:
    data_keys: list[str] = list(settings.CALLDESK_DATA_KEYS)
    hash_key: str = settings.CALLDESK_HASH_KEY
    backup_key: str = settings.CALLDESK_BACKUP_KEY
    from_file = not data_keys or not hash_key
    if not (data_keys and hash_key and backup_key):
        stored = _key_file()
        data_keys = data_keys or list(stored["data_keys"])
        hash_key = hash_key or stored["hash_key"]
        backup_key = backup_key or stored["backup_key"]
    keys = tuple(_key(text, "CALLDESK_DATA_KEYS") for text in data_keys)
    return Keyring(keys, _decode_key(hash_key, "CALLDESK_HASH_KEY"), _key(backup_key, "CALLDESK_BACKUP_KEY"), from_file)


@receiver(setting_changed)
def _forget_keys(setting: str, **kwargs: Any) -> None:
    if setting.startswith("CALLDESK_") and setting.endswith(("KEYS", "KEY", "KEY_FILE")):
        keyring.cache_clear()


def seal(plain: str) -> str:
    key = keyring().primary
    nonce = secrets.token_bytes(NONCE_BYTES)
    body = key.aead.encrypt(nonce, plain.encode(), None)
    return f"{PREFIX}{key.id}:{base64.b64encode(nonce + body).decode()}"


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def sealed_key_id(stored: str) -> str:
    """The id of the key that sealed `stored` ("" for plaintext)."""
    return stored[len(PREFIX) : len(PREFIX) + 8] if is_sealed(stored) else ""


def unseal(stored: str) -> str:
    """The plaintext of a sealed value; plaintext (a row from before encryption) as it is."""
    if not is_sealed(stored):
        return stored
    kid = sealed_key_id(stored)
    key = keyring().by_id(kid)
    if key is None:
        raise CryptoError(
            f"caller data sealed with key {kid}, which is not among CALLDESK_DATA_KEYS: "
            "add the old key back (after the new one) and run `calldesk crypto rotate`"
        )
    blob = base64.b64decode(stored[len(PREFIX) + 9 :])
    try:
        return key.aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], None).decode()
    except InvalidTag:
        raise CryptoError(f"a value sealed with key {kid} does not open: it was altered or the key is wrong") from None


def opener() -> Callable[[str], str]:
    """`unseal` for many values in a row (an export opens millions): the keys are looked up
    once, not per value. Anything out of the ordinary (an unknown key, a value that does not
    open) goes through `unseal`, which says what is wrong."""
    # The bound decrypt methods and the names below are looked up once: an export opens
    # several values per row, and the lookups were a tenth of each opening.
    decrypts = {key.id: key.aead.decrypt for key in keyring().data}
    start = len(PREFIX) + 9

    head = len(PREFIX)

    def open_one(
        stored: str,
        decrypts: dict[str, Any] = decrypts,
        a2b: Callable[[str], bytes] = a2b_base64,
        head: int = head,
        start: int = start,
    ) -> str:
        if stored[:head] != PREFIX:  # (a slice is quicker than startswith here)
            return stored
        decrypt = decrypts.get(stored[head : start - 1])
        if decrypt is None:
            return unseal(stored)
        blob = a2b(stored[start:])
        try:
            return decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], None).decode()  # type: ignore[no-any-return]
        except InvalidTag:
            return unseal(stored)

    return open_one


def keyed_hash(purpose: str, text: str) -> str:
    """HMAC-SHA256 under the hash key, for equality lookups without the plaintext.
    `purpose` separates uses, so the same text hashes differently as a phone and as a field."""
    digest = hmac.new(keyring().hash_key, f"{purpose}\x00{text}".encode(), hashlib.sha256)
    return digest.hexdigest()[:HASH_HEX]


def phone_hash(e164: str) -> str:
    """The lookup key of an E.164 number (repeat callers, the phone filter); "" for no number."""
    return keyed_hash("phone", e164) if e164 else ""
