"""Saving drafts, submitting once, conflicts, corrections and their history (SPEC §3)."""

from __future__ import annotations

from django.test import Client

from calldesk.reports.models import CallReport, ReportChange, Status
from tests.cast import Cast
from tests.reporting import JSON, editor_data, open_draft


def save(client: Client, report: CallReport, data: dict, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(f"/reports/{report.public_id}/save", data, **extra)


def test_autosave_stores_what_was_typed_and_bumps_the_version(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client)
    response = save(specialist_client, report, editor_data(report, f_summary="Feels unsafe at home"), **JSON)
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    report.refresh_from_db()
    assert report.values["summary"] == "Feels unsafe at home"
    assert body["version"] == report.version == 2
    assert report.status == Status.DRAFT


def test_a_draft_saves_without_its_required_fields(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client)
    response = save(specialist_client, report, editor_data(report, f_summary=""), **JSON)
    assert response.status_code == 200


def test_a_save_from_an_older_version_is_refused_and_shows_both(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client)
    stale = editor_data(report, f_summary="mine")
    other = Client()
    other.force_login(cast.supervisor)
    assert save(other, report, editor_data(report, f_summary="theirs"), **JSON).status_code == 200

    response = save(specialist_client, report, stale, **JSON)
    assert response.status_code == 409
    body = response.json()
    assert body["conflict"] is True
    assert ["Summary", "theirs"] in body["theirs"]
    report.refresh_from_db()
    assert report.values["summary"] == "theirs"


def test_the_conflict_page_without_script_shows_both_versions(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client)
    stale = editor_data(report, f_summary="mine")
    assert save(specialist_client, report, editor_data(report, f_summary="theirs")).status_code == 302
    response = save(specialist_client, report, stale)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else saved this report" in html
    assert "<dd>theirs</dd>" in html and "mine</textarea>" in html


def test_submit_checks_required_fields_next_to_each_field(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client)
    response = specialist_client.post(f"/reports/{report.public_id}/submit", editor_data(report))
    assert response.status_code == 400
    html = response.content.decode()
    field_box = html[html.index('id="field-f_summary"') :]
    assert "This field is required." in field_box[: field_box.index("</div>")]
    report.refresh_from_db()
    assert report.status == Status.DRAFT


def test_submit_fills_an_empty_agent_with_the_logged_in_user(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client, "/Telephony/GetCallReport?reportVer=9991234&ani=9991234567")
    assert report.agent is None
    data = editor_data(report, f_summary="ok", submit_key="k1")
    response = specialist_client.post(f"/reports/{report.public_id}/submit", data)
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.SUBMITTED
    assert report.agent == cast.specialist


def test_the_same_submit_sent_twice_makes_one_report(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client)
    data = editor_data(report, f_summary="done", submit_key="same-key")
    first = specialist_client.post(f"/reports/{report.public_id}/submit", data, **JSON)
    again = specialist_client.post(f"/reports/{report.public_id}/submit", data, **JSON)
    assert first.status_code == again.status_code == 200
    assert first.json()["url"] == again.json()["url"]
    assert CallReport.objects.filter(status=Status.SUBMITTED).count() == 1
    assert ReportChange.objects.filter(report=report, action="submitted").count() == 1


def test_another_submit_of_a_submitted_report_is_refused(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client)
    data = editor_data(report, f_summary="done", submit_key="first")
    assert specialist_client.post(f"/reports/{report.public_id}/submit", data, **JSON).status_code == 200
    data["submit_key"] = "second"
    response = specialist_client.post(f"/reports/{report.public_id}/submit", data, **JSON)
    assert response.status_code == 409
    assert "already submitted" in response.json()["message"]


def test_a_correction_is_kept_in_the_history_with_who_and_what(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client)
    specialist_client.post(
        f"/reports/{report.public_id}/submit", editor_data(report, f_summary="first words", submit_key="a")
    )
    supervisor = Client()
    supervisor.force_login(cast.supervisor)
    response = save(supervisor, report, editor_data(report, f_summary="corrected words"))
    assert response.status_code == 302
    change = ReportChange.objects.get(report=report, action="corrected")
    assert change.user == cast.supervisor
    assert change.changes == {"summary": ["first words", "corrected words"]}
    page = specialist_client.get(f"/reports/{report.public_id}/").content.decode()
    assert "Corrected" in page and "Sue Supervisor" in page
    assert "Summary: first words → corrected words" in page


def test_another_specialist_can_neither_see_nor_correct_a_report(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client)
    other = Client()
    other.force_login(cast.specialist2)
    assert other.get(f"/reports/{report.public_id}/").status_code == 404
    assert save(other, report, editor_data(report, f_summary="x")).status_code == 404
    outsider = Client()
    outsider.force_login(cast.specialist_b)
    assert outsider.get(f"/reports/{report.public_id}/").status_code == 404


def test_a_non_data_call_closes_in_one_click_without_required_fields(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client)
    data = editor_data(report, f_summary="", close_as="hang_up")
    response = specialist_client.post(f"/reports/{report.public_id}/close", data)
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.CLOSED
    assert report.call_type == "hang_up"


def test_close_refuses_a_data_call_type(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client)
    response = specialist_client.post(f"/reports/{report.public_id}/close", {"close_as": "call"}, **JSON)
    assert response.status_code == 409
    report.refresh_from_db()
    assert report.status == Status.DRAFT


def test_a_save_after_the_session_ended_gets_a_401_the_page_can_act_on(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client)
    data = editor_data(report, f_summary="typed while logged out")
    specialist_client.logout()
    response = save(specialist_client, report, data, **JSON)
    assert response.status_code == 401
    assert response.json()["login"] is True
    specialist_client.force_login(cast.specialist)
    assert save(specialist_client, report, data, **JSON).status_code == 200
    report.refresh_from_db()
    assert report.values["summary"] == "typed while logged out"


def test_a_correction_with_invalid_input_changes_nothing(cast: Cast, specialist_client: Client) -> None:
    # A draft keeps what does not pass its check yet (tests/test_draft_keeps_everything_typed.py);
    # a submitted report is corrected only with values that pass.
    report = open_draft(specialist_client)
    data = editor_data(report, f_summary="done", submit_key="k")
    assert specialist_client.post(f"/reports/{report.public_id}/submit", data, **JSON).status_code == 200
    report.refresh_from_db()
    before = (report.version, dict(report.values))
    response = save(specialist_client, report, editor_data(report, f_summary="new", phone="not a phone"), **JSON)
    assert response.status_code == 400
    assert response.json()["errors"]["phone"] == [{"message": "This is not a phone number.", "code": "invalid"}]
    report.refresh_from_db()
    assert (report.version, report.values) == before


def test_unfinished_calls_list_own_drafts_and_supervisors_close_them(cast: Cast, specialist_client: Client) -> None:
    mine = open_draft(specialist_client)
    other = Client()
    other.force_login(cast.specialist2)
    theirs = open_draft(other, "/Telephony/GetCallReport?reportVer=9991234&ani=2125550100")
    page = specialist_client.get("/reports/unfinished/").content.decode()
    assert str(mine.public_id) in page and str(theirs.public_id) not in page

    supervisor = Client()
    supervisor.force_login(cast.supervisor)
    page = supervisor.get("/reports/unfinished/").content.decode()
    assert str(mine.public_id) in page and str(theirs.public_id) in page
    assert "Close as abandoned" in page
    assert specialist_client.post(f"/reports/{theirs.public_id}/abandon").status_code == 404
    assert supervisor.post(f"/reports/{theirs.public_id}/abandon", {"confirmed": "1"}).status_code == 302
    theirs.refresh_from_db()
    assert theirs.status == Status.ABANDONED


def test_a_typed_number_is_stored_as_plain_digits(cast: Cast, specialist_client: Client) -> None:
    from calldesk.callforms.services import publish_revision
    from tests.cast import FORM_A_DEFINITION

    fields = [*FORM_A_DEFINITION["fields"], {"key": "age", "label": "Age", "type": "number"}]
    publish_revision(cast.form_a, {"fields": fields})
    report = open_draft(specialist_client)
    for typed, stored in (("1000", "1000"), ("250.50", "250.5"), ("0.000001", "0.000001")):
        response = save(specialist_client, report, editor_data(report, f_age=typed), **JSON)
        assert response.status_code == 200
        report.refresh_from_db()
        assert report.values["age"] == stored


def test_a_call_start_with_fractions_of_a_second_is_not_a_change_nobody_made(
    cast: Cast, specialist_client: Client
) -> None:
    # The editor shows whole seconds; posting them back must not rewrite what the phone system sent.
    report = open_draft(
        specialist_client, "/Telephony/GetCallReport?reportVer=9991234&callStart=2008-09-22T14:01:54.123Z"
    )
    sent = report.call_start
    assert sent.microsecond == 123000
    data = editor_data(report, f_summary="first", submit_key="k")
    assert specialist_client.post(f"/reports/{report.public_id}/submit", data).status_code == 302
    assert save(specialist_client, report, editor_data(report, f_summary="second")).status_code == 302
    report.refresh_from_db()
    assert report.call_start == sent
    submitted = ReportChange.objects.get(report=report, action="submitted")
    corrected = ReportChange.objects.get(report=report, action="corrected")
    assert "call_start" not in submitted.changes
    assert corrected.changes == {"summary": ["first", "second"]}
