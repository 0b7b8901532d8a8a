"""One codec per field type: what a mapping places always passes the editor's check at submit,
and every reader (report view, CSV, XLSX) shows a value the same way — yes/no "Unknown" in words,
dates and times in the organization's zone, typed in a spreadsheet."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.http import FileResponse
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from calldesk.callforms import codecs
from calldesk.callforms.definition import FieldDef, FieldType, MappingRule, parse_definition
from calldesk.callforms.models import FormRevision
from calldesk.telephony.reading import apply_mappings
from tests.cast import Cast
from tests.reportdata import make_report

NY = ZoneInfo("America/New_York")
DEFINITION = parse_definition(
    {
        "fields": [
            {"key": "born", "label": "Born", "type": "date"},
            {"key": "seen", "label": "Seen", "type": "datetime"},
            {"key": "age", "label": "Age", "type": "number"},
            {"key": "safe", "label": "Safe", "type": "yes_no"},
            {"key": "mail", "label": "Mail", "type": "email"},
        ]
    }
)
RULES = [
    MappingRule(parameter=key, value="", field_key=key, field_value="")
    for key in ("born", "seen", "age", "safe", "mail")
]


def placed(name: str, sent: str) -> tuple[dict[str, object], list[str]]:
    result = apply_mappings([(name, sent)], RULES, DEFINITION, NY)
    return result.values, result.notices


def editor_text(item: FieldDef, stored: object) -> str:
    """What the editor shows in the field for a stored value (what it posts back at submit)."""
    if item.type == FieldType.YES_NO:
        return {True: "true", False: "false"}.get(stored, "unknown")  # type: ignore[call-overload]
    if item.type == FieldType.DATETIME:
        moment = datetime.fromisoformat(str(stored)).astimezone(NY)
        return moment.strftime("%Y-%m-%dT%H:%M")
    return str(stored)


def test_a_mapped_date_outside_the_years_calldesk_reads_is_not_placed_and_says_so() -> None:
    values, notices = placed("born", "0099-01-01")
    assert "born" not in values
    assert notices and "Born takes a date (YYYY-MM-DD) from the year 1900" in notices[0]
    values, notices = placed("seen", "9999-12-31T23:59:00Z")
    assert "seen" not in values and "Seen takes a date and time" in notices[0]


@given(st.sampled_from(["born", "seen", "age", "safe", "mail"]), st.text(max_size=40))
def test_whatever_a_mapping_places_passes_the_editors_check(key: str, sent: str) -> None:
    values, _ = placed(key, sent)
    if values.get(key) is None:
        return
    item = DEFINITION.field(key)
    assert item is not None
    checked = codecs.check_value(item, editor_text(item, values[key]), NY, "US")
    assert checked.ok, (sent, values[key], checked.problem)


def test_compact_and_offset_times_from_a_mapping_are_stored_in_utc() -> None:
    values, notices = placed("seen", "2026-11-24T07:04:51-05:00")
    assert not notices
    assert values["seen"] == "2026-11-24T12:04:51+00:00"


def test_yes_no_left_unknown_reads_unknown_in_the_report_csv_and_xlsx(supervisor_client: Client, cast: Cast) -> None:
    revision = FormRevision.objects.create(
        form=cast.form_a,
        number=2,
        definition_json={
            "fields": [
                {"key": "safe", "label": "Safe", "type": "yes_no"},
                {"key": "seen", "label": "Seen", "type": "datetime"},
                {"key": "born", "label": "Born", "type": "date"},
                {"key": "age", "label": "Age", "type": "number"},
            ]
        },
    )
    start = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    report = make_report(
        cast.form_a,
        cast.specialist,
        start,
        revision=revision,
        values={"safe": None, "seen": "2026-03-02T15:30:00+00:00", "born": "1990-05-17", "age": "42.5"},
    )
    page = supervisor_client.get(f"/reports/{report.public_id}/").content.decode()
    assert "<dt>Safe</dt><dd>Unknown</dd>" in page
    # New York is five hours behind UTC on 2 March.
    assert "<dt>Seen</dt><dd>2026-03-02 10:30:00</dd>" in page

    text = b"".join(supervisor_client.get("/reports/?status=any&export=csv").streaming_content).decode()  # type: ignore[attr-defined]
    header, row = text.lstrip("\ufeff").splitlines()[:2]
    cells = dict(zip(header.split(","), row.split(","), strict=True))
    assert cells["Safe"] == "Unknown"
    assert cells["Seen"] == "2026-03-02 10:30:00"

    response = supervisor_client.get("/reports/?status=any&export=xlsx")
    assert isinstance(response, FileResponse)
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[arg-type]
    sheet = book["Reports"]
    headers = [c.value for c in sheet[1]]
    row = {h: c.value for h, c in zip(headers, sheet[2], strict=False)}
    assert row["Safe"] == "Unknown"
    assert row["Seen"] == datetime(2026, 3, 2, 10, 30)
    assert row["Born"] == datetime(1990, 5, 17)  # a date cell (spreadsheets keep dates as datetimes)
    assert sheet.cell(2, headers.index("Born") + 1).is_date
    assert row["Age"] == 42.5
    assert row["Call start"] == datetime(2026, 3, 2, 10, 0)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(headers)).column_letter}2"
    assert sheet.column_dimensions["A"].width >= 20


def test_show_and_cell_agree_for_every_type() -> None:
    assert codecs.show(FieldType.YES_NO, None, NY) == "Unknown"
    assert codecs.show(FieldType.YES_NO, True, NY) == "Yes"
    assert codecs.cell(FieldType.NUMBER, "3.50", NY) == Decimal("3.50")
    assert codecs.cell(FieldType.DATE, "2020-02-29", NY) == date(2020, 2, 29)
    assert codecs.cell(FieldType.TEXT, None, NY) is None
    assert codecs.show(FieldType.MULTI_CHOICE, ["A", "B"], NY, separator="; ") == "A; B"
