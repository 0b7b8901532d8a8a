"""CSV and XLSX exports of a filtered list, read back with the csv module and openpyxl."""

from __future__ import annotations

import csv
import io
import threading
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.http import FileResponse, StreamingHttpResponse
from django.test import Client
from openpyxl import load_workbook

from calldesk.callforms.models import FormRevision
from calldesk.reports import exports
from calldesk.reports.models import ExportRecord
from tests.cast import Cast
from tests.reportdata import NY, Known, make_known, make_report

HEADERS = [
    "Report", "Form", "Revision", "Call start", "Agent", "Phone", "Phone (E.164)", "Call type", "Status",
    "Author", "Submitted at", "Language", "Incoming line", "Dialled number", "Summary", "Risk assessed", "Topics",
]  # fmt: skip


@pytest.fixture
def known(cast: Cast) -> Known:
    return make_known(cast)


def csv_rows(client: Client, query: str) -> list[dict[str, str]]:
    response = client.get("/reports/" + query + "&export=csv")
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="reports-')
    text = b"".join(response.streaming_content).decode("utf-8")  # type: ignore[arg-type]
    assert text.startswith("\ufeff")
    reader = csv.reader(io.StringIO(text[1:]))
    header = next(reader)
    assert header == HEADERS
    return [dict(zip(header, row, strict=True)) for row in reader]


def xlsx_rows(client: Client, query: str) -> list[dict[str, object]]:
    response = client.get("/reports/" + query + "&export=xlsx")
    assert response.status_code == 200
    assert isinstance(response, FileResponse)
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)  # type: ignore[arg-type]
    rows = list(book["Reports"].iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    # An empty cell is absent from the file: a row read back ends at its last value.
    return [dict(zip(HEADERS, [*row, *[None] * (len(HEADERS) - len(row))], strict=True)) for row in rows[1:]]


def test_csv_has_one_column_per_field_across_revisions_times_in_the_zone(
    supervisor_client: Client, known: Known
) -> None:
    rows = csv_rows(supervisor_client, "?sort=call_start")
    assert [row["Report"] for row in rows] == [
        str(r.public_id) for r in (known.r1, known.r2, known.r3, known.r5, known.r6)
    ]
    first = rows[0]
    assert first["Call start"] == "2026-03-02 10:00:00"  # New York, not UTC (15:00)
    assert first["Submitted at"] == "2026-03-02 10:10:00"
    assert first["Agent"] == "Sam Specialist"
    assert first["Form"] == "Crisis call"
    assert first["Revision"] == "1"
    assert first["Phone"] == "999-123-4567"
    assert first["Phone (E.164)"] == "+19991234567"  # a plain number is not neutralised
    assert first["Language"] == "English"
    assert first["Incoming line"] == "Main line"
    assert first["Risk assessed"] == "Yes"
    assert first["Topics"] == ""
    assert first["Call type"] == "Call"
    assert first["Status"] == "Submitted"
    assert rows[1]["Call start"] == "2026-03-02 23:30:00"
    assert rows[2]["Call type"] == "Hang-up"
    assert rows[2]["Status"] == "Closed"
    r5 = rows[3]
    assert r5["Revision"] == "2"
    assert r5["Language"] == "French"
    assert r5["Topics"] == "Housing; Food"
    assert r5["Summary"] == '\'=HYPERLINK("x")'  # neutralised
    assert r5["Author"] == "Sue Supervisor"
    assert r5["Agent"] == "Sam Specialist"


def test_xlsx_holds_the_same_rows_with_real_times(supervisor_client: Client, known: Known) -> None:
    rows = xlsx_rows(supervisor_client, "?sort=call_start&f_topics=Food")
    assert [row["Report"] for row in rows] == [str(known.r5.public_id), str(known.r6.public_id)]
    assert rows[0]["Call start"] == datetime(2026, 3, 7, 14, 15)
    assert rows[0]["Summary"] == '\'=HYPERLINK("x")'
    assert rows[0]["Topics"] == "Housing; Food"
    assert rows[1]["Status"] == "Abandoned"
    assert rows[1]["Submitted at"] is None


def test_exports_follow_the_filter(cast: Cast, supervisor_client: Client, known: Known) -> None:
    rows = csv_rows(supervisor_client, f"?phone=999+123+4567&agent={cast.specialist2.public_id}")
    assert [row["Report"] for row in rows] == [str(known.r2.public_id)]
    assert [row["Report"] for row in csv_rows(supervisor_client, "?status=draft")] == [str(known.r4.public_id)]


def test_a_specialist_exports_only_their_own_reports(specialist_client: Client, known: Known) -> None:
    own = {str(r.public_id) for r in (known.r1, known.r3, known.r5, known.r6)}
    assert {row["Report"] for row in csv_rows(specialist_client, "?status=any")} == own
    assert {row["Report"] for row in xlsx_rows(specialist_client, "?status=any")} == own
    assert csv_rows(specialist_client, "?status=any&f_language=Spanish") == []


def test_nothing_crosses_organizations(cast: Cast, known: Known) -> None:
    client = Client()
    client.force_login(cast.specialist_b)
    response = client.get("/reports/?status=any&export=csv")
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert str(known.rb.public_id) in text
    assert not any(str(r.public_id) in text for r in known.org_a)
    assert "Notes" in text.splitlines()[0] and "Language" not in text


def test_every_export_is_recorded(cast: Cast, supervisor_client: Client, known: Known) -> None:
    csv_rows(supervisor_client, "?f_language=Spanish&status=any")
    xlsx_rows(supervisor_client, "?from=2026-03-02&to=2026-03-02")
    csv_export, xlsx_export = ExportRecord.objects.order_by("id")
    assert csv_export.user == cast.supervisor
    assert csv_export.organization == cast.org_a
    assert csv_export.format == "csv"
    assert csv_export.rows == 2
    assert csv_export.complete
    assert csv_export.finished_at is not None
    assert csv_export.filters == {"values": {"language": "Spanish"}, "status": "any", "sort": "-call_start"}
    assert xlsx_export.format == "xlsx"
    assert xlsx_export.rows == 2
    assert xlsx_export.filters["from"] == "2026-03-02"


def test_a_download_cut_short_records_the_rows_sent(cast: Cast, supervisor_client: Client) -> None:
    start = datetime(2026, 1, 1, 9, 0, tzinfo=NY)
    for minute in range(450):
        make_report(cast.form_a, cast.specialist, start + timedelta(minutes=minute))
    response = supervisor_client.get("/reports/?export=csv")
    assert response["X-Export-Rows"] == "450"
    stream = iter(response.streaming_content)  # type: ignore[attr-defined]
    next(stream), next(stream)  # the byte-order mark, then the header and the first 200 rows
    # The browser goes away: the server closes the response's iterator (the test client's
    # wrapper around it, which then closes the response as a server would).
    response._iterator.close()  # type: ignore[attr-defined]
    record = ExportRecord.objects.get()
    assert record.rows == 200
    assert not record.complete


def _readers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "read-ahead"]


def test_rows_read_ahead_chunk_by_chunk_come_once_each_in_order(
    cast: Cast, supervisor_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database's next chunk is read by a thread while this one is written (lib.readahead):
    with chunks of 7, 52 reports are 8 chunks, the last one short, on both databases."""
    monkeypatch.setattr(exports, "CHUNK", 7)
    start = datetime(2026, 1, 1, 9, 0, tzinfo=NY)
    made = [make_report(cast.form_a, cast.specialist, start + timedelta(minutes=minute)) for minute in range(52)]
    newest_first = [str(report.public_id) for report in reversed(made)]
    text = b"".join(supervisor_client.get("/reports/?export=csv").streaming_content).decode()  # type: ignore[attr-defined]
    assert [row[0] for row in csv.reader(io.StringIO(text[1:]))][1:] == newest_first
    workbook = b"".join(supervisor_client.get("/reports/?export=xlsx").streaming_content)  # type: ignore[attr-defined]
    sheet = load_workbook(io.BytesIO(workbook), read_only=True)["Reports"]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == newest_first
    assert [record.rows for record in ExportRecord.objects.order_by("id")] == [52, 52]
    assert not _readers()


def test_a_download_cut_short_stops_the_reading_ahead(
    cast: Cast, supervisor_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "CHUNK", 50)
    start = datetime(2026, 1, 1, 9, 0, tzinfo=NY)
    for minute in range(450):
        make_report(cast.form_a, cast.specialist, start + timedelta(minutes=minute))
    response = supervisor_client.get("/reports/?export=csv")
    stream = iter(response.streaming_content)  # type: ignore[attr-defined]
    next(stream), next(stream)  # the byte-order mark, then the header and the first 200 rows
    assert _readers(), "the next chunks are being read"
    response._iterator.close()  # type: ignore[attr-defined]
    assert not _readers()
    record = ExportRecord.objects.get()  # the connection the reader used is the request's, still fine
    assert (record.rows, record.complete) == (200, False)


def test_bad_requests_get_a_clear_400(supervisor_client: Client, known: Known) -> None:
    assert supervisor_client.get("/reports/?export=pdf").status_code == 400
    assert supervisor_client.get("/reports/?phone=nonsense&export=csv").status_code == 400
    assert not ExportRecord.objects.exists()


def test_anonymous_people_cannot_export(client: Client, known: Known) -> None:
    response = client.get("/reports/?export=csv")
    assert response.status_code == 302
    assert not ExportRecord.objects.exists()


def test_number_fields_export_as_numbers_in_xlsx(cast: Cast, supervisor_client: Client) -> None:
    revision = FormRevision.objects.create(
        form=cast.form_a, number=2, definition_json={"fields": [{"key": "age", "label": "Age", "type": "number"}]}
    )
    make_report(cast.form_a, cast.specialist, datetime(2026, 3, 1, tzinfo=NY), revision=revision, values={"age": "-17"})
    response = supervisor_client.get("/reports/?export=xlsx")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)  # type: ignore[attr-defined]
    header, row = list(book["Reports"].iter_rows(values_only=True))
    assert row[header.index("Age")] == -17
    text = b"".join(supervisor_client.get("/reports/?export=csv").streaming_content).decode()  # type: ignore[attr-defined]
    header_line, row_line = list(csv.reader(io.StringIO(text[1:])))
    assert Decimal(row_line[header_line.index("Age")]) == -17  # a negative number stays a number


def test_an_xlsx_larger_than_a_worksheet_is_refused_with_a_reason(
    supervisor_client: Client, known: Known, monkeypatch: pytest.MonkeyPatch
) -> None:
    from calldesk.reports import exports

    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 4)
    response = supervisor_client.get("/reports/?export=xlsx")
    assert response.status_code == 400
    assert b"more than a spreadsheet holds" in response.content
    assert not ExportRecord.objects.exists()
    assert supervisor_client.get("/reports/?export=csv").status_code == 200  # CSV has no such limit


def test_sealed_texts_with_quotes_and_backslashes_export_as_written(
    cast: Cast, supervisor_client: Client, known: Known
) -> None:
    """Sealed values are read without a JSON parser when they can be: escapes must not leak."""
    written = 'He said "hi" \\ then C:\\temp, “José”'
    make_report(cast.form_a, cast.specialist, datetime(2026, 3, 1, tzinfo=NY), values={"summary": written})
    make_report(
        cast.form_a, cast.specialist, datetime(2026, 3, 2, tzinfo=NY), values={"summary": "plain", "risk": None}
    )
    by_summary = {row["Summary"]: row for row in csv_rows(supervisor_client, "?sort=call_start")}
    assert {written, "plain"} <= set(by_summary)
    assert by_summary["plain"]["Risk assessed"] == "Unknown" and by_summary["plain"]["Topics"] == ""
    assert {written, "plain"} <= {row["Summary"] for row in xlsx_rows(supervisor_client, "?sort=call_start")}
