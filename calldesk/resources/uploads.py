"""An uploaded directory (a .zip of a datapackage, or one HSDS .json file) unpacked into a
temporary folder for the importer, with the command's limits: the same bytes in all, no member
outside the folder, no more files than a datapackage has."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from django.core.files import File

from calldesk.resources import limits
from calldesk.resources.importer import ImportRefused

MAX_ZIP_MEMBERS = 60
MB = 1048576
LIMIT = f"at most {limits.MAX_IMPORT_BYTES // MB} MB is imported"


def check(upload: File) -> str:
    """The upload's own name, once its size and kind are ones an import takes (else ImportRefused)."""
    name = PurePosixPath(upload.name or "upload").name
    if (upload.size or 0) > limits.MAX_IMPORT_BYTES:
        raise ImportRefused([f"{name}: the file is {(upload.size or 0) / MB:,.0f} MB; {LIMIT}"])
    if not name.lower().endswith((".json", ".zip")):
        raise ImportRefused(
            [f"{name}: upload a .zip of the datapackage (datapackage.json and its CSV files) or an HSDS .json file"]
        )
    return name


@contextmanager
def unpacked(upload: File) -> Iterator[Path]:
    """The path to hand the importer: the unpacked folder, or the JSON file. Removed afterwards."""
    name = check(upload)
    folder = Path(tempfile.mkdtemp(prefix="calldesk-hsds-"))
    try:
        if name.lower().endswith(".json"):
            target = folder / "directory.json"
            with target.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            yield target
        else:
            _unzip(upload, folder, name)
            yield _package_root(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _unzip(upload: File, folder: Path, name: str) -> None:
    try:
        archive = zipfile.ZipFile(upload)
    except zipfile.BadZipFile:
        raise ImportRefused([f"{name}: not a zip file"]) from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_ZIP_MEMBERS:
            raise ImportRefused([f"{name}: holds {len(members)} files; a datapackage has at most {MAX_ZIP_MEMBERS}"])
        total = sum(m.file_size for m in members)
        if total > limits.MAX_IMPORT_BYTES:
            raise ImportRefused([f"{name}: unpacks to {total / MB:,.0f} MB; {LIMIT}"])
        for member in members:
            path = PurePosixPath(member.filename)
            if path.is_absolute() or ".." in path.parts or "\\" in member.filename:
                raise ImportRefused([f"{name}: {member.filename!r} would be written outside the folder"])
            target = folder.joinpath(*path.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as source, target.open("wb") as out:
                # Read no more than the header promised: a forged size cannot unpack more.
                out.write(source.read(member.file_size + 1)[: member.file_size + 1])
            if target.stat().st_size > member.file_size:
                raise ImportRefused([f"{name}: {member.filename!r} is larger than the zip says"])


def _package_root(folder: Path) -> Path:
    """The folder holding datapackage.json (a zip often wraps it in one folder)."""
    found = sorted(folder.rglob("datapackage.json"), key=lambda p: len(p.parts))
    return found[0].parent if found else folder
