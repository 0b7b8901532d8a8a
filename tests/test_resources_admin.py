"""The directory's admin pages: import by upload (the command's checks and limits), edit and
verify records, the list due for yearly verification, the public API switch; and the demo."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.test import Client

from calldesk.accounts.models import Organization
from calldesk.resources import hsds, jobs
from calldesk.resources.generate import make_directory, write_datapackage
from calldesk.resources.models import DirectorySettings, ImportJob, Service
from calldesk.resources.search import Query, search
from tests.cast import Cast
from tests.test_resources_import import count_records

JSON = {"HTTP_ACCEPT": "application/json"}


def zipped(folder: Path, prefix: str = "") -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, prefix + file.name)
    buffer.seek(0)
    buffer.name = "directory.zip"
    return buffer


def admin(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.admin)
    return client


def finished(client: Client, started: Any) -> dict[str, Any]:
    """The job's status once its background import has ended, read as the page reads it."""
    assert started.status_code == 202, started.content[:500]
    body = started.json()
    jobs.wait(uuid.UUID(body["job"]["id"]), timeout=300)  # a loaded machine unpacks slowly
    status = client.get(body["status_url"], **JSON).json()
    assert status["finished"], status
    return dict(status)


def upload(cast: Cast, file: Any) -> dict[str, Any]:
    client = admin(cast)
    return finished(client, client.post("/resources/admin/", {"file": file}, **JSON))


def test_an_admin_imports_a_zipped_datapackage(cast: Cast, transactional_db: None, tmp_path: Path) -> None:
    folder = write_datapackage(make_directory(services=9, locations=4, terms=8), tmp_path / "pkg")
    client = admin(cast)
    response = client.post("/resources/admin/", {"file": zipped(folder, "hsds/")})
    assert response.status_code == 302 and response["Location"].startswith("/resources/admin/?job=")
    job = ImportJob.objects.get()
    jobs.wait(job.id, timeout=300)
    page = client.get(response["Location"]).content.decode()
    assert "Imported: " in page and "service: 9 added" in page and 'value="100"' in page
    assert Service.objects.filter(owner=cast.org_a).count() == 9
    again = upload(cast, zipped(folder))
    assert again["state"] == "done" and again["done"] == again["total"] == 100
    assert "service: 0 added, 0 updated, 0 retired, 9 unchanged" in again["summary"]
    # The page shows the latest import without being told which.
    assert "service: 0 added" in client.get("/resources/admin/").content.decode()


def test_an_upload_with_a_problem_imports_nothing_and_says_what_the_command_says(
    cast: Cast, transactional_db: None, tmp_path: Path
) -> None:
    rows = make_directory(services=6, locations=3, terms=8)
    rows["location"][1]["latitude"] = "123"
    folder = write_datapackage(rows, tmp_path / "pkg")
    status = upload(cast, zipped(folder))
    assert status["state"] == "refused"
    assert status["problems"] == ["locations.csv, row 3, column latitude: '123' must be from -90 to 90"]
    assert count_records() == 0
    page = admin(cast).get(f"/resources/admin/?job={status['id']}").content.decode()
    assert "Nothing was imported" in page and "locations.csv, row 3, column latitude" in page


def test_hsds_json_uploads_and_unsafe_or_huge_zips_are_refused(
    cast: Cast, transactional_db: None, tmp_path: Path
) -> None:
    rows = make_directory(services=3, locations=2, terms=8)
    document = io.BytesIO(json.dumps({hsds.tables()[n].path: r for n, r in rows.items()}).encode())
    document.name = "directory.json"
    assert upload(cast, document)["state"] == "done"

    climbing = io.BytesIO()
    with zipfile.ZipFile(climbing, "w") as archive:
        archive.writestr("../../evil.csv", "id\n")
    climbing.seek(0)
    climbing.name = "evil.zip"
    answer = upload(cast, climbing)
    assert answer["problems"] == ["evil.zip: '../../evil.csv' would be written outside the folder"]

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("services.csv", b"\0" * (101 * 1024 * 1024))
    bomb.seek(0)
    bomb.name = "bomb.zip"
    answer = upload(cast, bomb)
    assert answer["state"] == "refused"
    assert answer["problems"] == ["bomb.zip: unpacks to 101 MB; at most 100 MB is imported"]

    text = io.BytesIO(b"hello")
    text.name = "notes.txt"
    refused = admin(cast).post("/resources/admin/", {"file": text}, **JSON)
    assert refused.status_code == 400 and "upload a .zip" in refused.json()["problems"][0]
    assert ImportJob.objects.filter(file_name="notes.txt").count() == 0  # refused before any job


def test_only_admins_import_and_only_supervisors_edit(
    cast: Cast, specialist_client: Client, supervisor_client: Client
) -> None:
    assert specialist_client.get("/resources/admin/").status_code == 404
    assert specialist_client.get("/resources/admin/services/").status_code == 404
    assert supervisor_client.get("/resources/admin/").status_code == 404
    assert supervisor_client.get("/resources/admin/services/").status_code == 200
    assert Client().get("/resources/admin/").status_code == 302


def test_editing_and_verifying_a_service(cast: Cast, tmp_path: Path, supervisor_client: Client) -> None:
    from calldesk.resources import services

    services.import_directory(
        cast.org_a, write_datapackage(make_directory(services=6, locations=3, terms=8), tmp_path / "p")
    )
    due = supervisor_client.get("/resources/admin/services/?due=1").content.decode()
    assert "6 records" in due
    service = Service.objects.filter(owner=cast.org_a).order_by("name").first()
    assert service is not None
    page = supervisor_client.get(f"/resources/admin/services/{service.id}/")
    assert page.status_code == 200
    data = {f: getattr(service, f) or "" for f in ("name", "description", "status", "eligibility_description")}
    data.update(name="Riverside Soup Kitchen", verified="on")
    saved = supervisor_client.post(f"/resources/admin/services/{service.id}/", data)
    assert saved.status_code == 302
    service.refresh_from_db()
    assert service.name == "Riverside Soup Kitchen"
    assert service.last_verified_by == cast.supervisor and service.last_verified_on is not None
    assert "5 records" in supervisor_client.get("/resources/admin/services/?due=1").content.decode()
    assert [h.service.name for h in search(cast.org_a, Query(words="riverside soup")).hits] == [
        "Riverside Soup Kitchen"
    ]
    # Another organization's supervisor never reaches it.
    other = Client()
    other.force_login(cast.specialist_b)
    assert other.get(f"/resources/admin/services/{service.id}/").status_code == 404
    assert supervisor_client.get("/resources/admin/services/not-a-uuid/").status_code == 404
    assert supervisor_client.get("/resources/admin/phones/").status_code == 404


def test_the_public_api_switch(cast: Cast) -> None:
    admin(cast).post("/resources/admin/public", {"public": "1"})
    assert DirectorySettings.objects.get(owner=cast.org_a).public_api is True
    assert Client().get(f"/hsds/services?directory={cast.org_a.public_id}").status_code == 200
    admin(cast).post("/resources/admin/public", {"public": "0"})
    assert Client().get(f"/hsds/services?directory={cast.org_a.public_id}").status_code == 401


def test_the_demo_loads_a_directory_once(db: None) -> None:
    out = io.StringIO()
    call_command("demo", stdout=out, stderr=io.StringIO())
    assert "Demo resource directory: loaded." in out.getvalue()
    org = Organization.objects.get(slug="acme")
    assert Service.objects.filter(owner=org).count() == 36
    assert search(org, Query(words="food")).hits
    out = io.StringIO()
    call_command("demo", stdout=out, stderr=io.StringIO())
    assert "Demo resource directory: nothing changed." in out.getvalue()
