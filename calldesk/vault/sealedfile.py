"""The encrypted container of a backup: a header, then AES-256-GCM chunks (docs/security.md).

    CALLDESK-BACKUP\\n | header length (4 bytes) | header (JSON) | chunks...
    chunk: length (4 bytes) | AES-GCM(nonce = 8 random bytes of the file + chunk number, data,
                                      associated data = header + chunk number + last-chunk flag)

The header is bound to every chunk, chunks cannot be reordered, and a file cut short lacks its
flagged last chunk: any of these, or a wrong key, is refused before anything is restored
(the whole file is checked first). The header names the key's id, so a wrong key is told apart
from a damaged file.
"""

from __future__ import annotations

import json
import secrets
import struct
from collections.abc import Iterator
from typing import IO, Any

from cryptography.exceptions import InvalidTag

from calldesk.lib.crypto import Key

MAGIC = b"CALLDESK-BACKUP\n"
CHUNK = 1 << 20


class BackupError(Exception):
    """The backup cannot be read: not a backup, wrong key, damaged or cut short."""


class SealedWriter:
    def __init__(self, out: IO[bytes], key: Key, header: dict[str, Any]) -> None:
        self.out, self.key = out, key
        self.prefix = secrets.token_bytes(8)
        self.header = json.dumps({**header, "key_id": key.id, "nonce": self.prefix.hex()}).encode()
        self.buffer = bytearray()
        self.number = 0
        out.write(MAGIC + struct.pack(">I", len(self.header)) + self.header)

    def write(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) > CHUNK:
            self._chunk(bytes(self.buffer[:CHUNK]), last=False)
            del self.buffer[:CHUNK]

    def close(self) -> None:
        self._chunk(bytes(self.buffer), last=True)
        self.buffer.clear()

    def _chunk(self, data: bytes, last: bool) -> None:
        counter = struct.pack(">I", self.number)
        sealed = self.key.aead.encrypt(self.prefix + counter, data, self.header + counter + bytes([last]))
        self.out.write(struct.pack(">I", len(sealed)) + sealed)
        self.number += 1


def read_header(source: IO[bytes]) -> tuple[dict[str, Any], bytes]:
    if source.read(len(MAGIC)) != MAGIC:
        raise BackupError("this file is not a Calldesk backup")
    (length,) = struct.unpack(">I", _exactly(source, 4))
    raw = _exactly(source, length)
    try:
        header: dict[str, Any] = json.loads(raw)
    except ValueError:
        raise BackupError("the backup's header is damaged") from None
    return header, raw


def open_chunks(source: IO[bytes], key: Key) -> Iterator[bytes]:
    """The plaintext, chunk by chunk, each checked; BackupError on a wrong key or any damage."""
    header, raw = read_header(source)
    if header.get("key_id") != key.id:
        raise BackupError(
            f"this backup was encrypted with key {header.get('key_id')}, but CALLDESK_BACKUP_KEY is key {key.id}: "
            "set CALLDESK_BACKUP_KEY to the key it was made with"
        )
    prefix = bytes.fromhex(header["nonce"])
    number = 0
    while True:
        size_bytes = source.read(4)
        if len(size_bytes) < 4:
            raise BackupError("the backup is cut short (its last part is missing)")
        (size,) = struct.unpack(">I", size_bytes)
        sealed = _exactly(source, size)
        counter = struct.pack(">I", number)
        for last in (False, True):
            try:
                data = key.aead.decrypt(prefix + counter, sealed, raw + counter + bytes([last]))
            except InvalidTag:
                continue
            break
        else:
            raise BackupError(f"the backup is damaged (part {number + 1} does not check out)")
        yield data
        if last:
            if source.read(1):
                raise BackupError("the backup has data after its end")
            return
        number += 1


def _exactly(source: IO[bytes], size: int) -> bytes:
    data = source.read(size)
    if len(data) != size:
        raise BackupError("the backup is cut short")
    return data
