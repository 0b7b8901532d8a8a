"""The editor's side panels (follow-ups, imminent risk, the caller's profile) cost a screen pop
nothing when they have nothing to show, and show everything when they do; the pop's rows are
written by INSERTs compiled once, exactly as `save()` writes them. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.template import engines
from django.test import Client
from django.test.utils import CaptureQueriesContext

from calldesk.audit.models import AccessEvent
from calldesk.lib.prepared import insert
from calldesk.reports.models import CallReport, ReportChange
from calldesk.telephony.models import Call
from tests.cast import Cast
from tests.reporting import JSON, open_draft

POP = "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567"
PANEL_TABLES = ("followups_followup", "risk_riskevent", "callers_callernumber")


def own_table(sql: str) -> str:
    """The table a SELECT reads as its own FROM (not one inside an EXISTS of its columns)."""
    depth = 0
    for at, char in enumerate(sql):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and sql.startswith(" FROM ", at):
            return sql[at + 6 :].split()[0].strip('"')
    return ""


def own_queries_of(queries: CaptureQueriesContext, table: str) -> list[str]:
    return [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT") and own_table(q["sql"]) == table
    ]


def editor(client: Client, report: CallReport) -> tuple[str, CaptureQueriesContext]:
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(f"/reports/{report.public_id}/")
    assert answer.status_code == 200
    return answer.content.decode(), queries


def test_a_pop_with_nothing_beside_it_reads_no_panel_rows(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client, POP)
    page, queries = editor(specialist_client, report)
    for table in PANEL_TABLES:
        assert own_queries_of(queries, table) == [], table
    assert 'id="followups-panel"' in page and 'id="risk-raise"' in page
    assert "No profile for this number." in page


def test_each_panel_shows_what_hangs_on_the_report(
    cast: Cast, specialist_client: Client, supervisor_client: Client
) -> None:
    report = open_draft(specialist_client, POP)
    answer = specialist_client.post(
        f"/followups/new/{report.public_id}/",
        {"due_at": "2027-01-05T09:00", "assignee": "pool", "method": "call", "reason": ""},
    )
    assert answer.status_code == 302
    assert specialist_client.post(f"/risk/reports/{report.public_id}/raise", **JSON).status_code == 200
    assert supervisor_client.post("/callers/", {"number": "(999) 123-4567", "create": "1"}).status_code == 302

    page, queries = editor(specialist_client, report)
    assert "Call, due 2027-01-05 09:00" in page
    assert 'id="risk-state" data-state="raised"' in page
    assert 'id="caller-profile"' in page and "Open the profile" in page
    for table in PANEL_TABLES:
        assert own_queries_of(queries, table), table  # flagged: the panel reads its rows


def test_the_schedule_form_comes_when_it_is_opened(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client, POP)
    page, _ = editor(specialist_client, report)
    assert 'id="followups-schedule"' in page and 'id="id_due_at"' not in page
    # Without the script, the link opens the form's own page.
    assert f'href="/followups/new/{report.public_id}/"' in page

    answer = specialist_client.get(f"/followups/new/{report.public_id}/", **JSON)
    assert answer.status_code == 200
    html = answer.json()["html"]
    assert 'id="id_due_at"' in html and 'name="assignee"' in html and 'data-field="reason"' in html
    outsider = Client()
    outsider.force_login(cast.specialist_b)
    assert outsider.get(f"/followups/new/{report.public_id}/", **JSON).status_code == 404


def fields_of(instance: Any, *, leaving: tuple[str, ...]) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields if f.name not in leaving}


def test_a_compiled_insert_writes_the_row_save_writes(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client, POP)  # the pop's own rows: call, draft, history line
    call = Call.objects.get(pk=report.call_id)
    assert call.params and call.fingerprint and call.public_id

    # The same values through insert() and through save(): the same row, read back.
    for make in (
        lambda: ReportChange(report=report, user=cast.specialist, action=ReportChange.Action.SAVED, version=2),
        lambda: AccessEvent(
            organization_id=cast.org_a.pk, user=cast.specialist, actor="sam@example.org", action="report.view"
        ),
    ):
        inserted, saved = insert(make()), make()
        saved.save()
        assert inserted.pk is not None and inserted.pk != saved.pk and not inserted._state.adding
        read = type(inserted).objects.get(pk=inserted.pk)
        leaving = ("id", "at")
        assert fields_of(read, leaving=leaving) == fields_of(type(saved).objects.get(pk=saved.pk), leaving=leaving)

    # A draft's sealed values and number are sealed as save() seals them, and read back.
    draft = CallReport(
        organization_id=report.organization_id,
        form=report.form,
        revision=report.revision,
        call_start=report.call_start,
        phone_raw="999-123-4567",
        phone_e164="+19991234567",
        values={"notes": "Ana <b>called</b>"},
        author=cast.specialist,
    )
    draft.insert_draft()
    read = CallReport.objects.get(pk=draft.pk)
    assert read.phone_e164 == "+19991234567" and read.values == {"notes": "Ana <b>called</b>"}
    assert read.public_id == draft.public_id and read.version == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone_e164 FROM reports_callreport WHERE id = %s", [draft.pk])
        stored = cursor.fetchone()[0]
    assert "19991234567" not in str(stored)


def test_static_urls_are_the_storages_own() -> None:
    from django.contrib.staticfiles.storage import staticfiles_storage

    template = engines["django"].from_string(
        "{% load static %}{% static 'calldesk/editor.js' %}|{% get_static_prefix %}"
    )
    url, prefix = template.render({}).split("|")
    assert url == staticfiles_storage.url("calldesk/editor.js") and url.startswith(prefix)
