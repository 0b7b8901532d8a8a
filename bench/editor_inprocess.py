"""The editor page and autosave, measured in-process (issue 11): CPU per request, queries, templates.

Makes a fresh database with `calldesk demo` (SQLite at /tmp/editor_inprocess.sqlite3, or
DATABASE_URL: a PostgreSQL database named there has its public schema DROPPED and recreated),
opens one draft of form 9991234 as maria@acme.com and times, in this process (CPU of this
process only, not the database server's):

  editor GET            the draft's editor page through Django's test client (all middleware)
  autosave              POST /reports/<id>/save as the editor's script sends it, multipart (the
                        old script) and form-encoded (the script now), through the test client
  autosave view alone   the save view called directly (no middleware, no session or user load)
  floor                 reading the same form-encoded body, one guarded UPDATE of the report
                        (WHERE id AND version) and a JSON answer: what a save cannot do without
  /healthz              the test client's own cost for the smallest page

Usage (from the repository root; N requests each, default 300):
    .venv/bin/python bench/editor_inprocess.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/calldesk_bench_editor \\
        .venv/bin/python bench/editor_inprocess.py
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
SQLITE = "/tmp/editor_inprocess.sqlite3"


class QueryCount:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.n += 1
        return execute(sql, params, many, context)


def setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{SQLITE}")
    if not os.environ["DATABASE_URL"].startswith("postgres") and os.path.exists(SQLITE):
        os.remove(SQLITE)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    setup_test_environment()
    call_command("migrate", verbosity=0)
    with contextlib.redirect_stdout(io.StringIO()):
        call_command("demo", verbosity=0)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # autovacuum may be off: plans as on a live database


def main() -> None:
    setup()
    from django.db import connection
    from django.http import JsonResponse
    from django.test import Client, RequestFactory
    from django.test.signals import template_rendered
    from django.utils import timezone

    from calldesk.accounts.models import User
    from calldesk.reports import views
    from calldesk.reports.models import CallReport
    from tests.reporting import editor_data

    rounds = int(os.environ.get("N", "300"))
    user = User.objects.select_related("organization").get(email="maria@acme.com")
    client = Client()
    client.force_login(user)
    where = client.get("/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567")["Location"]
    report = CallReport.objects.get(public_id=where.strip("/").split("/")[-1])

    @contextlib.contextmanager
    def counting() -> Iterator[QueryCount]:
        counter = QueryCount()
        with connection.execute_wrapper(counter):
            yield counter

    templates: list[str] = []

    def rendered(sender: Any, template: Any, context: Any, **kwargs: Any) -> None:
        templates.append(template.name)

    template_rendered.connect(rendered)
    with counting() as page_queries:
        page = client.get(where)
    template_rendered.disconnect(rendered)

    data = editor_data(report, f_summary="x", f_caller_name="Al", f_risk_assessed="true")
    version = {"now": report.version}
    factory = RequestFactory()

    def body(i: int) -> str:
        return urlencode({**data, "version": version["now"], "f_summary": f"text {i}"}, doseq=True)

    def save_multipart(i: int) -> None:
        answer = client.post(
            f"/reports/{report.public_id}/save",
            {**data, "version": version["now"], "f_summary": f"m {i}"},
            HTTP_ACCEPT="application/json",
        )
        version["now"] = answer.json()["version"]

    def save_form_encoded(i: int) -> None:
        answer = client.post(
            f"/reports/{report.public_id}/save",
            body(i),
            content_type="application/x-www-form-urlencoded",
            HTTP_ACCEPT="application/json",
        )
        version["now"] = answer.json()["version"]

    def view_alone(i: int) -> None:
        request = factory.post(
            "/save", body(i), content_type="application/x-www-form-urlencoded", HTTP_ACCEPT="application/json"
        )
        request.user = user
        version["now"] = json.loads(views.report_save(request, public_id=report.public_id).content)["version"]

    def floor(i: int) -> None:
        request = factory.post(
            "/save", body(i), content_type="application/x-www-form-urlencoded", HTTP_ACCEPT="application/json"
        )
        request.user = user
        CallReport.objects.filter(pk=report.pk, version=version["now"]).update(
            values={**report.values, "summary": request.POST["f_summary"]},
            version=version["now"] + 1,
            updated_at=timezone.now(),
        )
        version["now"] += 1
        assert JsonResponse({"ok": True, "version": version["now"]}).content

    def cpu(run: Callable[[int], None]) -> float:
        run(0)
        start = time.process_time()
        for i in range(rounds):
            run(i + 1)
        return 1000 * (time.process_time() - start) / rounds

    save_form_encoded(-2)  # the first save of a process reads the form's revision once
    with counting() as save_queries:
        save_form_encoded(-1)
    rows = {
        "editor GET (test client)": cpu(lambda i: client.get(where) and None),
        "autosave, multipart (test client)": cpu(save_multipart),
        "autosave, form-encoded (test client)": cpu(save_form_encoded),
        "autosave view alone": cpu(view_alone),
        "floor: body + one guarded UPDATE + JSON": cpu(floor),
        "/healthz (test client)": cpu(lambda i: client.get("/healthz") and None),
    }
    print(
        f"database: {connection.vendor}; editor page: {len(page.content)} bytes, {len(templates)} templates, "
        f"{page_queries.n} queries; autosave: {save_queries.n} queries"
    )
    for name, ms in rows.items():
        print(f"  {name:42s} {ms:6.2f} ms CPU")
    ratio = rows["autosave view alone"] / rows["floor: body + one guarded UPDATE + JSON"]
    print(f"  autosave view alone / floor: {ratio:.2f}")


if __name__ == "__main__":
    main()
