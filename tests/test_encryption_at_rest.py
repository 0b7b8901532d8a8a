"""A dump of the database, read raw as a thief would (sqlite3's dump, pg_dump), holds no caller's
number in any form and no personal field, while every page still shows them to those allowed."""

from __future__ import annotations

import json
import subprocess

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client

from calldesk.accounts.models import TwoFactorDevice
from calldesk.reports.models import CallReport, ExportRecord
from calldesk.telephony.models import Call, PendingHangup
from tests.apicast import post_json, token_for
from tests.cast import Cast
from tests.reporting import JSON, editor_data, open_draft
from tests.twofactor import enrol

# The caller's number as sent, in E.164, digits only (with and without the country code).
NUMBER = ["(212) 555-0147", "+12125550147", "2125550147", "12125550147", "212-555-0147", "555-0147"]
CORRECTED = ["646 555 0123", "+16465550123", "6465550123"]
WAITING = ["718-555-0166", "+17185550166", "7185550166"]  # a call waiting for a login
SUMMARY = "Ximena Okonkwo-Larsson of 14 Birchwood Lane"  # the personal field
UNMAPPED = "Quillon Vasquez-Tiberius"  # a parameter no mapping knows, as a phone system sent it
CAUSE = "transferred to Zebulon Featherstonehaugh"  # a hang-up cause no phone system standard knows
EARLY_CAUSE = "Wilhelmina Quarrington hung up"  # the cause of a hang-up that came before its call
SECRETS = [
    *NUMBER,
    *CORRECTED,
    *WAITING,
    SUMMARY,
    "Okonkwo",
    "Birchwood",
    UNMAPPED,
    "Vasquez",
    CAUSE,
    "Featherstonehaugh",
    "Quarrington",
]


def raw_dump() -> str:
    """Every row of every table as the database stores it."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        return "\n".join(connection.connection.iterdump())
    settings = connection.settings_dict
    done = subprocess.run(
        [
            "pg_dump",
            "--host",
            settings["HOST"] or "127.0.0.1",
            "--port",
            str(settings["PORT"] or 5432),
            "--username",
            settings["USER"] or "postgres",
            settings["NAME"],
        ],
        capture_output=True,
        text=True,
        env={"PGPASSWORD": settings["PASSWORD"] or "", "PATH": "/usr/bin:/bin:/usr/lib/postgresql/15/bin"},
        check=True,
    )
    return done.stdout


def sessions_decoded() -> str:
    """Session rows are signed base64, not secret: decoded, as anyone with the dump could."""
    return json.dumps([session.get_decoded() for session in Session.objects.all()])


def leaked(text: str) -> list[str]:
    lowered = text.lower()
    return [secret for secret in SECRETS if secret.lower() in lowered]


@pytest.fixture
def stored(cast: Cast, specialist_client: Client, supervisor_client: Client) -> CallReport:
    """A call as phone system, specialist and supervisor leave it: popped, typed, submitted,
    corrected (so the history holds before and after), a repeat call, and a call waiting for a login."""
    url = "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=%28212%29+555-0147&dnis=8886201111"
    report = open_draft(specialist_client, f"{url}&callerName=Quillon+Vasquez-Tiberius")
    saved = specialist_client.post(
        f"/reports/{report.public_id}/save", editor_data(report, f_summary=SUMMARY, f_language="Spanish"), **JSON
    )
    assert saved.status_code == 200
    submitted = specialist_client.post(f"/reports/{report.public_id}/submit", editor_data(report), **JSON)
    assert submitted.status_code == 200
    corrected = supervisor_client.post(f"/reports/{report.public_id}/save", editor_data(report, phone=CORRECTED[0]))
    assert corrected.status_code in (200, 302, 303)
    corrected_back = supervisor_client.post(f"/reports/{report.public_id}/save", editor_data(report, phone=NUMBER[0]))
    assert corrected_back.status_code in (200, 302, 303)
    open_draft(specialist_client, f"{url}&x=again")  # the same caller again
    waiting = Client().get("/Telephony/GetCallReport?reportVer=9991234&ani=718-555-0166")
    assert waiting.status_code == 302
    # A hang-up with a cause of the phone system's own, and one that came before its call.
    token = token_for(cast.admin)
    assert post_json("/api/calls", {"reportVer": "9991234", "agent": "34", "callId": "c1"}, token).status_code == 201
    assert post_json("/api/calls/hangup", {"callId": "c1", "cause": CAUSE}, token).status_code == 200
    assert post_json("/api/calls/hangup", {"callId": "c2", "cause": EARLY_CAUSE}, token).status_code == 202
    # An export filtered by the caller's number (its record keeps the filter).
    exported = supervisor_client.get("/reports/?phone=2125550147&status=any&export=csv")
    assert NUMBER[1] in b"".join(exported.streaming_content).decode()
    enrol(cast.supervisor)  # an authenticator app's shared secret
    report.refresh_from_db()
    return report


@pytest.mark.django_db(transaction=True)  # pg_dump reads committed rows only
def test_a_raw_dump_holds_no_number_and_no_personal_field(stored: CallReport) -> None:
    dump = raw_dump()
    # Every table and column of every model is in the dump that is searched.
    for model in apps.get_models():
        assert model._meta.db_table in dump, model._meta.db_table
    assert "cd1:" in dump  # the rows are there, sealed
    assert leaked(dump) == []
    assert leaked(sessions_decoded()) == []
    [secret] = [device.secret for device in TwoFactorDevice.objects.all()]
    assert len(secret) >= 16 and secret not in dump  # the second factor is not handed out either
    # What was stored still reads plain for the code.
    call = Call.objects.get(external_id="c1")
    assert call.end_reason == CAUSE
    assert PendingHangup.objects.get(external_id="c2").end_reason == EARLY_CAUSE
    assert ExportRecord.objects.get().filters["phone"] == NUMBER[1]


@pytest.mark.django_db(transaction=True)
def test_known_hang_up_causes_stay_countable_and_others_are_sealed(cast: Cast) -> None:
    token = token_for(cast.admin)
    for n, cause in enumerate(["busy", "busy", "NOANSWER", CAUSE]):
        post_json("/api/calls", {"reportVer": "9991234", "agent": "nobody", "callId": f"k{n}"}, token)
        post_json("/api/calls/hangup", {"callId": f"k{n}", "cause": cause}, token)
    with connection.cursor() as cursor:
        cursor.execute("SELECT end_reason, COUNT(*) FROM telephony_call GROUP BY end_reason")
        stored = dict(cursor.fetchall())
    assert stored.get("busy") == 2 and stored.get("noAnswer") == 1
    assert [value for value in stored if value.startswith("cd1:")], stored
    assert CAUSE not in stored


@pytest.mark.django_db(transaction=True)
def test_the_stored_call_still_reads_plain_where_it_is_allowed(
    stored: CallReport, supervisor_client: Client, specialist_client: Client
) -> None:
    assert (stored.phone_raw, stored.phone_e164, stored.values["summary"]) == (NUMBER[0], NUMBER[1], SUMMARY)
    assert stored.call is not None and ["callerName", UNMAPPED] in stored.call.params
    page = supervisor_client.get(f"/reports/{stored.public_id}/").content.decode()
    assert SUMMARY in page and "(212) 555-0147" in page
    history = [change.changes.get("phone_raw") for change in stored.changes.all()]
    assert [NUMBER[0], CORRECTED[0]] in history and [CORRECTED[0], NUMBER[0]] in history
    # The phone filter and the repeat callers find it by the keyed hash.
    listed = supervisor_client.get("/reports/?phone=212-555-0147&status=any").content.decode()
    assert str(stored.public_id) in listed
    exported = b"".join(supervisor_client.get("/reports/?phone=2125550147&export=csv").streaming_content).decode()
    assert NUMBER[1] in exported and SUMMARY in exported
    assert "1</strong> earlier call" in specialist_client.get(f"/reports/{stored.public_id}/edit/").content.decode()
    assert str(stored.public_id) in supervisor_client.get(f"/reports/?f_summary={SUMMARY.upper()}").content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_call_waiting_for_a_login_opens_after_it(stored: CallReport) -> None:
    client = Client()
    login_url = client.get("/Telephony/GetCallReport?reportVer=9991234&ani=718-555-0166")["Location"]
    next_url = client.get(login_url).context["next"]
    client.post("/accounts/login/", {"username": "kim@lifeline.example", "password": "correct-horse-battery"})
    resumed = client.get(next_url)
    assert resumed.status_code == 303
    report = CallReport.objects.get(public_id=resumed["Location"].strip("/").split("/")[-1])
    assert report.phone_e164 == WAITING[1]


def test_personal_choice_fields_are_sealed_and_still_counted_and_filtered_per_choice(
    cast: Cast, supervisor_client: Client
) -> None:
    from datetime import datetime

    from tests.cast import make_form
    from tests.reportdata import NY, make_report
    from tests.test_dashboard import charts

    definition = {
        "fields": [
            {"key": "gender", "label": "Gender", "type": "choice", "personal": True, "choices": ["Woman", "Man"]},
            {"key": "needs", "label": "Needs", "type": "multi_choice", "personal": True, "choices": ["Food", "Rent"]},
        ]
    }
    form = make_form(cast.org_a, "7770001", definition)
    start = datetime(2026, 3, 3, 12, tzinfo=NY)
    reports = [
        make_report(form, cast.specialist, start, values={"gender": gender, "needs": needs})
        for gender, needs in [("Woman", ["Food", "Rent"]), ("Woman", ["Rent"]), ("Man", [])]
    ]
    assert "Woman" not in leaked_values() and "Rent" not in leaked_values()
    found = charts(supervisor_client, f"?from=2026-03-01&to=2026-03-10&form={form.public_id}")
    assert found["field-gender"] == {"Woman": 2, "Man": 1}
    assert found["field-needs"] == {"Rent": 2, "Food": 1, "(none)": 1}
    listed = supervisor_client.get(f"/reports/?form={form.public_id}&f_needs=Rent&f_gender=Woman").content.decode()
    assert [str(r.public_id) in listed for r in reports] == [True, True, False]


def leaked_values() -> str:
    """The values column as stored."""
    with connection.cursor() as cursor:
        cursor.execute('SELECT "values" FROM reports_callreport')
        return json.dumps([str(values) for (values,) in cursor.fetchall()])


def test_a_waiting_call_sealed_with_a_key_since_removed_is_no_longer_waiting(cast: Cast) -> None:
    from django.test import override_settings

    from calldesk.lib.crypto import new_key

    client = Client()
    login_url = client.get("/Telephony/GetCallReport?reportVer=9991234&ani=718-555-0166")["Location"]
    next_url = client.get(login_url).context["next"]
    client.post("/accounts/login/", {"username": "kim@lifeline.example", "password": "correct-horse-battery"})
    with override_settings(CALLDESK_DATA_KEYS=[new_key()]):
        gone = client.get(next_url)
    assert gone.status_code == 404 and "/reports/unfinished/" in gone.content.decode()
    assert not CallReport.objects.exists()
