"""Forms on the admin pages: create, edit fields (publishing revisions), preview, retire,
and old reports staying readable after later revisions."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from calldesk.callforms.models import CallForm
from calldesk.configure.models import AuditEntry
from calldesk.reports.models import CallReport, Status
from tests.cast import Cast
from tests.pages import shown
from tests.reporting import editor_data


@pytest.fixture
def ada(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.admin)
    return client


def definition_post(
    name: str, fields: list[dict[str, Any]], call_types: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The field editor's POST, as the browser sends it: one row per field, in `fields` order."""
    if call_types is None:
        call_types = [
            {"key": "call", "label": "Call", "data": True},
            {"key": "hang_up", "label": "Hang-up", "data": False},
        ]
    data: dict[str, Any] = {
        "name": name,
        "fields-TOTAL_FORMS": str(len(fields)),
        "fields-INITIAL_FORMS": "0",
        "ct-TOTAL_FORMS": str(len(call_types)),
        "ct-INITIAL_FORMS": "0",
    }
    for index, row in enumerate(fields):
        prefix = f"fields-{index}-"
        data[prefix + "ORDER"] = str(row.get("order", index + 1))
        for key in ("key", "label", "type", "help_text", "choices"):
            data[prefix + key] = row.get(key, "text" if key == "type" else "")
        for flag in ("required", "personal", "DELETE"):
            if row.get(flag.lower() if flag != "DELETE" else "delete"):
                data[prefix + flag] = "on"
    for index, ct in enumerate(call_types):
        data[f"ct-{index}-key"] = ct["key"]
        data[f"ct-{index}-label"] = ct["label"]
        if ct["data"]:
            data[f"ct-{index}-full_report"] = "on"
    return data


FORM_A_ROWS: list[dict[str, Any]] = [
    {"key": "language", "label": "Language", "type": "choice", "choices": "English = 112210\nSpanish = 112211"},
    {"key": "incoming_line", "label": "Incoming line", "type": "choice", "choices": "Main line\nYouth line"},
    {"key": "dialled_number", "label": "Dialled number", "type": "text"},
    {"key": "summary", "label": "Summary", "type": "long_text", "required": True, "personal": True},
    {"key": "risk", "label": "Risk assessed", "type": "yes_no"},
]


def test_an_admin_creates_a_form_whose_first_revision_is_a_usable_report(
    cast: Cast, ada: Client, specialist_client: Client
) -> None:
    response = ada.post("/configure/forms/new/", {"report_ver": "7770001", "name": "Youth line"})
    form = CallForm.objects.get(report_ver="7770001")
    assert response.status_code == 302
    assert response["Location"] == f"/configure/forms/{form.public_id}/"
    assert form.organization == cast.org_a
    assert form.current_revision().number == 1
    # Not published empty: a phone system opening its URL at once gets a report to write.
    assert [f.label for f in form.current_revision().definition.fields] == ["Reason for the call", "Notes"]
    assert AuditEntry.objects.filter(action="form.create", user=cast.admin).exists()
    popped = specialist_client.get("/Telephony/GetCallReport?reportVer=7770001&agent=34")
    assert popped.status_code == 303
    assert "Reason for the call" in specialist_client.get(popped["Location"]).content.decode()


@pytest.mark.parametrize(
    ("report_ver", "message"),
    [("9991234", b"already in use"), ("5550001", b"already in use"), ("has space", b"Use letters"), ("", b"required")],
)
def test_a_bad_or_taken_report_ver_is_refused(cast: Cast, ada: Client, report_ver: str, message: bytes) -> None:
    response = ada.post("/configure/forms/new/", {"report_ver": report_ver, "name": "X"})
    assert response.status_code == 400
    assert message in response.content
    assert CallForm.objects.count() == 2


def test_the_editor_shows_every_field_as_a_row(cast: Cast, ada: Client) -> None:
    page = ada.get(f"/configure/forms/{cast.form_a.public_id}/")
    assert page.status_code == 200
    content = page.content.decode()
    assert 'value="language"' in content
    assert "Spanish = 112211" in content
    assert 'name="fields-TOTAL_FORMS" value="6"' in content  # five fields and one blank row
    assert "configure-fields.js" in content


def test_editing_publishes_a_new_revision_with_all_field_settings(cast: Cast, ada: Client) -> None:
    rows = [
        *FORM_A_ROWS,
        {"label": "Topics", "type": "multi_choice", "choices": "Housing = H\nFood = F", "help_text": "All that apply"},
        {"key": "callback", "label": "Callback number", "type": "phone", "personal": True},
        {"key": "age", "label": "Age", "type": "number"},
        {"key": "followup", "label": "Follow-up", "type": "date"},
        {"key": "when", "label": "Incident", "type": "datetime"},
        {"key": "mail", "label": "Email", "type": "email"},
    ]
    response = ada.post(f"/configure/forms/{cast.form_a.public_id}/", definition_post("Crisis call v2", rows))
    assert response.status_code == 302
    cast.form_a.refresh_from_db()
    revision = cast.form_a.current_revision()
    assert revision.number == 2
    assert revision.created_by == cast.admin
    assert cast.form_a.name == "Crisis call v2"
    topics = revision.definition.field("topics")  # key made from the label
    assert topics is not None and topics.help_text == "All that apply"
    assert [(c.label, c.code) for c in topics.choices] == [("Housing", "H"), ("Food", "F")]
    callback = revision.definition.field("callback")
    assert callback is not None and callback.personal and callback.type == "phone"
    summary = revision.definition.field("summary")
    assert summary is not None and summary.required and summary.personal
    assert [c.key for c in revision.definition.call_types] == ["call", "hang_up"]
    assert not revision.definition.call_type("hang_up").data  # type: ignore[union-attr]
    assert AuditEntry.objects.filter(action="form.revision", details__revision=2).exists()


def test_saving_unchanged_fields_publishes_nothing(cast: Cast, ada: Client) -> None:
    default_types = [
        {"key": "call", "label": "Call", "data": True},
        {"key": "hang_up", "label": "Hang-up", "data": False},
        {"key": "silent", "label": "Silent", "data": False},
        {"key": "wrong_number", "label": "Wrong number", "data": False},
        {"key": "prank", "label": "Prank", "data": False},
    ]
    response = ada.post(
        f"/configure/forms/{cast.form_a.public_id}/",
        definition_post("Crisis call", FORM_A_ROWS, default_types),
        follow=True,
    )
    assert b"no new revision" in response.content
    assert cast.form_a.revisions.count() == 1


def test_position_numbers_reorder_and_remove_drops_a_field(cast: Cast, ada: Client) -> None:
    rows = [dict(row) for row in FORM_A_ROWS]
    rows[0]["order"] = 9  # language last
    rows[4]["delete"] = True  # no more risk
    ada.post(f"/configure/forms/{cast.form_a.public_id}/", definition_post("Crisis call", rows))
    keys = [f.key for f in cast.form_a.current_revision().definition.fields]
    assert keys == ["incoming_line", "dialled_number", "summary", "language"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {"key": "agent", "label": "Agent again", "type": "text"},
            "Field 6 (“Agent again”), key: `agent` is a built-in field",
        ),
        (
            {"key": "lang", "label": "Lang", "type": "choice"},
            "Field 6 (“Lang”), choices: a choice field needs at least one choice",
        ),
        (
            {"key": "x", "label": "X", "type": "choice", "choices": "A = 1\nB = 1"},
            "Field 6 (“X”), choices line 2, code: `1` is used twice",
        ),
        ({"key": "language", "label": "Twice", "type": "text"}, "Field 6 (“Twice”), key: `language` is used twice"),
        ({"key": "Bad Key", "label": "B", "type": "text"}, "must be lower-case letters"),
        ({"key": "n", "label": "N", "type": "text", "choices": "A"}, "only choice fields have choices"),
        ({"key": "k", "label": "", "type": "text"}, "Field 6 (“k”), label: is required"),
        ({"key": "k", "label": "K", "type": "colour"}, "Select a valid choice"),
    ],
)
def test_invalid_fields_are_explained_and_nothing_is_published(
    cast: Cast, ada: Client, row: dict[str, Any], message: str
) -> None:
    response = ada.post(
        f"/configure/forms/{cast.form_a.public_id}/", definition_post("Crisis call", [*FORM_A_ROWS, row])
    )
    assert response.status_code == 400
    assert shown(message) in response.content.decode()
    assert cast.form_a.revisions.count() == 1


def test_a_form_needs_a_data_call_type(cast: Cast, ada: Client) -> None:
    only_hangup = [{"key": "hang_up", "label": "Hang-up", "data": False}]
    response = ada.post(f"/configure/forms/{cast.form_a.public_id}/", definition_post("C", FORM_A_ROWS, only_hangup))
    assert response.status_code == 400
    assert "Call types: at least one call type must be a data call type" in response.content.decode()


def test_a_broken_post_is_a_400_not_a_500(cast: Cast, ada: Client) -> None:
    response = ada.post(f"/configure/forms/{cast.form_a.public_id}/", {"name": "x"})  # no management form
    assert response.status_code == 400
    huge = definition_post("C", FORM_A_ROWS)
    huge["fields-TOTAL_FORMS"] = "100000"
    assert ada.post(f"/configure/forms/{cast.form_a.public_id}/", huge).status_code == 400
    assert cast.form_a.revisions.count() == 1


def test_a_revision_that_breaks_mappings_warns(cast: Cast, ada: Client) -> None:
    rows = [row for row in FORM_A_ROWS if row["key"] != "dialled_number"]
    rows[1] = {**rows[1], "choices": "Main line\nTeen line"}  # "Youth line" is gone
    response = ada.post(f"/configure/forms/{cast.form_a.public_id}/", definition_post("Crisis call", rows), follow=True)
    content = response.content.decode()
    assert "Published revision 2" in content
    assert "This revision breaks a mapping: dnis=8886202222 → incoming_line = Youth line" in content
    assert shown("the form has no field `dialled_number`") in content
    mappings = ada.get(f"/configure/forms/{cast.form_a.public_id}/mappings/").content.decode()
    assert shown("Broken: `Youth line` is not a choice of Incoming line") in mappings


def _submit_report(client: Client, report: CallReport, values: dict[str, str]) -> None:
    assert client.get(f"/reports/{report.public_id}/").status_code == 200
    data = editor_data(report, **values)
    response = client.post(f"/reports/{report.public_id}/submit", data)
    assert response.status_code == 302, response.content[:2000]


def test_a_report_of_revision_1_reads_the_same_after_revision_2_renames_reorders_and_removes(
    cast: Cast, ada: Client, specialist_client: Client
) -> None:
    url = "/Telephony/GetCallReport?reportVer=9991234&agent=34&language=112211&dnis=8886201111"
    opened = specialist_client.get(url)
    assert opened.status_code == 303
    report = CallReport.objects.get()
    _submit_report(specialist_client, report, {"f_summary": "Talked about housing", "f_risk": "true"})
    report.refresh_from_db()
    assert report.status == Status.SUBMITTED

    revision_2: list[dict[str, Any]] = [
        {"key": "notes", "label": "Notes", "type": "long_text", "required": True},  # summary renamed
        {
            "key": "language",
            "label": "Caller language",
            "type": "choice",
            "choices": "English = 112210\nSpanish = 112211",
        },
        {"key": "incoming_line", "label": "Line", "type": "choice", "choices": "Main line\nYouth line"},
    ]  # reordered; dialled_number and risk removed
    assert (
        ada.post(f"/configure/forms/{cast.form_a.public_id}/", definition_post("Crisis call", revision_2)).status_code
        == 302
    )
    assert cast.form_a.current_revision().number == 2

    page = specialist_client.get(f"/reports/{report.public_id}/").content.decode()
    assert "revision 1" in page
    for label, value in [
        ("Language", "Spanish"),
        ("Incoming line", "Main line"),
        ("Dialled number", "8886201111"),
        ("Summary", "Talked about housing"),
        ("Risk assessed", "Yes"),
    ]:
        assert f"<dt>{label}</dt><dd>{value}</dd>" in page
    assert "Caller language" not in page and "Notes" not in page

    # The phone system's URL is unchanged and now opens revision 2, still mapped.
    again = specialist_client.get(url + "&callStart=2026-01-01T10:00:00Z")
    assert again.status_code == 303
    new_report = CallReport.objects.exclude(pk=report.pk).get()
    assert new_report.call is not None
    assert new_report.revision.number == 2
    assert new_report.values == {"language": "Spanish", "incoming_line": "Main line"}
    assert "no longer has" in " ".join(new_report.call.notices)  # dnis → dialled_number: said, not silent


def test_the_preview_shows_the_form_as_specialists_see_it(cast: Cast, ada: Client) -> None:
    page = ada.get(f"/configure/forms/{cast.form_a.public_id}/preview/")
    content = page.content.decode()
    assert page.status_code == 200
    assert 'name="f_language"' in content and ">Spanish</option>" in content
    assert 'name="f_summary"' in content and "Required to submit" in content
    assert 'name="agent"' in content and 'name="call_type"' in content
    assert ada.get(f"/configure/forms/{cast.form_a.public_id}/preview/?revision=1").status_code == 200
    assert ada.get(f"/configure/forms/{cast.form_a.public_id}/preview/?revision=7").status_code == 404
    assert ada.get(f"/configure/forms/{cast.form_a.public_id}/preview/?revision=x").status_code == 404
    assert ada.get(f"/configure/forms/{cast.form_a.public_id}/preview/?revision={'9' * 30}").status_code == 404
    assert ada.get(f"/configure/forms/{cast.form_a.public_id}/preview/?revision=%C2%B2").status_code == 404


def test_the_revisions_page_lists_every_revision(cast: Cast, ada: Client) -> None:
    ada.post(f"/configure/forms/{cast.form_a.public_id}/", definition_post("Crisis call", FORM_A_ROWS[:2]))
    page = ada.get(f"/configure/forms/{cast.form_a.public_id}/revisions/").content.decode()
    assert "2 (current)" in page
    assert "Ada Admin" in page
    assert "Language, Incoming line, Dialled number, Summary, Risk assessed" in page


def test_a_retired_form_answers_404_and_keeps_its_reports(cast: Cast, ada: Client, specialist_client: Client) -> None:
    url = "/Telephony/GetCallReport?reportVer=9991234&agent=34"
    specialist_client.get(url)
    report = CallReport.objects.get()
    assert (
        ada.post(f"/configure/forms/{cast.form_a.public_id}/retire", {"retire": "1", "confirmed": "1"}).status_code
        == 302
    )
    assert specialist_client.get(url + "&x=1").status_code == 404
    assert specialist_client.get(f"/reports/{report.public_id}/").status_code == 200
    assert b"Retired" in ada.get("/configure/forms/").content
    ada.post(f"/configure/forms/{cast.form_a.public_id}/retire", {"retire": "0"})
    assert specialist_client.get(url + "&x=2").status_code == 303
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert "form.retire" in actions and "form.unretire" in actions
