"""SPEC §3: a draft saves everything typed, even a value that does not pass its
check yet. That value is kept as typed and its field marked; the check holds at submit."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from calldesk.callforms.services import publish_revision
from calldesk.reports.models import CallReport, Status
from calldesk.reports.retention import run_retention
from tests.cast import Cast
from tests.reporting import EVERY_TYPE, JSON, editor_data, open_draft

# (posted name, what was typed, the start of the sentence its field is marked with)
INVALID: list[tuple[str, Any, str]] = [
    ("f_nickname", "x" * 2001, "At most 2000 characters"),
    ("f_summary", "y" * 20001, "At most 20000 characters"),
    ("f_age", "12abc", "Enter a number"),
    ("f_age", "1" * 15, "At most 14 digits before the point"),
    ("f_risk", "maybe", "Choose yes, no or unknown"),
    ("f_language", "Klingon", "“Klingon” is not one of the choices"),
    ("f_topics", ["Food", "Klingon"], "“Klingon” is not one of the choices"),
    ("f_born", "2026-02-30", "Enter a date"),
    ("f_follow_up", "10000-01-01T10:00", "Enter a date and time"),
    ("f_callback", "abc", "This is not a phone number"),
    ("f_email", "not-an-address", "Enter an email address"),
    ("agent", str(uuid.uuid4()), "Choose a person from the list"),
    ("call_start", "", "This field is required"),
    ("call_start", "2026-13-01T10:00", "Enter the date and time the call started"),
    ("phone", "abc", "This is not a phone number"),
    ("call_type", "nonsense", "Choose a call type"),
]


@pytest.fixture
def report(cast: Cast, specialist_client: Client) -> CallReport:
    publish_revision(cast.form_a, {"fields": EVERY_TYPE})
    return open_draft(specialist_client)


def save(client: Client, report: CallReport, **changes: Any) -> Any:
    return client.post(f"/reports/{report.public_id}/save", editor_data(report, **changes), **JSON)


def field_box(html: str, name: str) -> str:
    """The HTML of one field's box, from its opening tag to the next field's."""
    start = html.rindex("<div", 0, html.index(f'id="field-{name}"'))
    end = html.find('<div class="field', start + 1)
    return html[start : end if end > 0 else None]


@pytest.mark.parametrize(("name", "typed", "says"), INVALID, ids=[f"{n}={str(t)[:12]}" for n, t, _ in INVALID])
def test_an_invalid_value_never_holds_up_the_rest_and_a_reload_shows_it_marked(
    specialist_client: Client, report: CallReport, name: str, typed: Any, says: str
) -> None:
    other = "f_dialled_number" if name != "f_dialled_number" else "f_nickname"
    response = save(specialist_client, report, **{name: typed, other: "typed after the bad value"})
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["marked"][name][0]["message"].startswith(says)
    report.refresh_from_db()
    assert report.values["dialled_number"] == "typed after the bad value"
    assert report.unchecked == {name: typed}
    assert report.status == Status.DRAFT

    page = specialist_client.get(f"/reports/{report.public_id}/").content.decode()
    box = field_box(page, name)
    assert "has-error" in box.split(">", 1)[0]
    assert says in box
    shown = typed[-1] if isinstance(typed, list) else typed
    if shown:
        assert shown in box  # exactly what was typed, back in its field
    assert "typed after the bad value" in field_box(page, other)


def test_submit_refuses_a_kept_value_with_the_message_next_to_its_field(
    specialist_client: Client, report: CallReport
) -> None:
    assert save(specialist_client, report, f_callback="abc", f_summary="Talked it through").status_code == 200
    data = editor_data(report, submit_key="s1")
    data["f_callback"] = report.unchecked["f_callback"]  # the page shows it as typed and posts it back
    response = specialist_client.post(f"/reports/{report.public_id}/submit", data)
    assert response.status_code == 400
    html = response.content.decode()
    box = field_box(html, "f_callback")
    assert "This is not a phone number." in box
    assert 'value="abc"' in box and "autofocus" in box  # the first problem gets the focus
    assert "The report was not submitted" in html
    json_answer = specialist_client.post(f"/reports/{report.public_id}/submit", data, **JSON)
    assert json_answer.status_code == 400
    assert json_answer.json()["errors"] == {
        "f_callback": [{"message": "This is not a phone number.", "code": "invalid"}]
    }
    report.refresh_from_db()
    assert report.status == Status.DRAFT


def test_a_fixed_value_is_stored_and_no_longer_marked(specialist_client: Client, report: CallReport) -> None:
    save(specialist_client, report, f_age="12abc")
    response = save(specialist_client, report, f_age="12")
    assert response.json()["marked"] == {}
    report.refresh_from_db()
    assert report.values["age"] == "12"
    assert report.unchecked == {}
    page = specialist_client.get(f"/reports/{report.public_id}/").content.decode()
    assert "has-error" not in page


def test_a_kept_value_is_escaped_on_the_page(specialist_client: Client, report: CallReport) -> None:
    save(specialist_client, report, f_email='"><script>alert(1)</script>', f_language="<b>x</b>")
    page = specialist_client.get(f"/reports/{report.public_id}/").content.decode()
    assert "<script>alert(1)" not in page and "<b>x</b>" not in page
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page
    assert "&lt;b&gt;x&lt;/b&gt; (not a choice)" in page


def test_null_characters_are_kept_out_without_losing_the_rest(specialist_client: Client, report: CallReport) -> None:
    response = save(specialist_client, report, f_nickname="Sa\x00m", f_summary="still saved")
    assert response.status_code == 200
    report.refresh_from_db()
    assert report.unchecked == {"f_nickname": "Sam"}
    assert report.values["summary"] == "still saved"


def test_autosave_reads_one_row_and_writes_the_changed_columns_once(
    specialist_client: Client, report: CallReport
) -> None:
    save(specialist_client, report, f_summary="first")  # the revision is read once per process
    data = editor_data(report, f_summary="second")
    with CaptureQueriesContext(connection) as queries:
        response = specialist_client.post(f"/reports/{report.public_id}/save", data, **JSON)
    assert response.status_code == 200
    report_queries = [q["sql"] for q in queries.captured_queries if "reports_callreport" in q["sql"]]
    assert len(report_queries) == 2, report_queries
    select, update = report_queries
    assert select.startswith("SELECT") and "FOR UPDATE" not in select
    # One row, and of its revision only the number its parsed definition is kept under.
    assert select.count("JOIN") == 1 and '"callforms_formrevision"."setup_version"' in select
    assert "definition_json" not in select
    assert update.startswith("UPDATE")
    assert '"version" = 2' in update.split("WHERE")[1]  # guarded by the version it started from
    assert '"values"' in update and '"phone_raw"' not in update and '"call_start"' not in update
    assert len(queries.captured_queries) <= 4  # session, user, report, update


def test_a_stale_autosave_changes_nothing_and_answers_the_conflict(
    cast: Cast, specialist_client: Client, report: CallReport
) -> None:
    stale = editor_data(report, f_summary="mine", f_age="12abc")
    other = Client()
    other.force_login(cast.supervisor)
    assert save(other, report, f_summary="theirs").status_code == 200
    response = specialist_client.post(f"/reports/{report.public_id}/save", stale, **JSON)
    assert response.status_code == 409
    body = response.json()
    assert body["conflict"] is True and body["version"] == 2
    assert ["Summary", "theirs"] in body["theirs"]
    report.refresh_from_db()
    assert report.values["summary"] == "theirs" and report.unchecked == {}


def test_a_draft_saved_without_script_says_what_needs_a_look(specialist_client: Client, report: CallReport) -> None:
    response = specialist_client.post(
        f"/reports/{report.public_id}/save", editor_data(report, f_age="12abc"), follow=True
    )
    html = response.content.decode()
    assert "Draft saved. The marked fields need a look before you submit." in html
    assert "Enter a number" in field_box(html, "f_age")


def test_closing_as_a_non_data_call_keeps_what_was_typed(specialist_client: Client, report: CallReport) -> None:
    data = editor_data(report, f_summary="hung up early", f_callback="abc", close_as="hang_up")
    assert specialist_client.post(f"/reports/{report.public_id}/close", data).status_code == 302
    report.refresh_from_db()
    assert report.status == Status.CLOSED
    assert report.values["summary"] == "hung up early"
    assert report.unchecked == {"f_callback": "abc"}


def test_retention_blanks_kept_values_too(cast: Cast, specialist_client: Client, report: CallReport) -> None:
    cast.org_a.retention_days = 30
    cast.org_a.save()
    save(specialist_client, report, f_callback="555-01", call_start="2026-01-01T10:00:00")
    save(specialist_client, report, f_callback="555-01", phone="abc")
    report.refresh_from_db()
    assert set(report.unchecked) == {"f_callback", "phone"}
    run_retention(cast.org_a, datetime(2026, 4, 5, 12, 0, tzinfo=cast.org_a.zone))
    report.refresh_from_db()
    assert report.unchecked == {}
    assert report.redacted_at is not None


def test_kept_values_and_autosaved_personal_values_are_sealed_at_rest(
    specialist_client: Client, report: CallReport
) -> None:
    from calldesk.lib.crypto import phone_hash
    from tests.test_encryption_at_rest import raw_dump

    typed = "Ximena Okonkwo 555-01x7"
    response = save(specialist_client, report, f_callback=typed, f_summary="Birchwood Lane", phone="646 555 0123")
    assert response.status_code == 200
    dump = raw_dump().lower()
    for secret in ("ximena", "okonkwo", "birchwood", "6465550123", "646 555 0123"):
        assert secret not in dump, secret
    report.refresh_from_db()
    assert report.unchecked == {"f_callback": typed}
    assert report.values["summary"] == "Birchwood Lane"
    # The number's keyed hash moved with it: the caller's earlier calls are found by it.
    assert report.phone_e164 == "+16465550123"
    assert report.phone_hash == phone_hash("+16465550123")
