"""CSV and XLSX exports of a filtered report list (SPEC §4).

One column per custom field key across revisions, times in the organization's zone, choice
labels as stored. Rows come from the database in chunks (`iterator`), are turned into cells
one at a time and leave at once — CSV as a streaming response, XLSX through openpyxl's
write-only workbook into a temporary file — so memory does not grow with the row count.
Every export is recorded (who, when, which filter, how many rows).
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.db import connections
from django.db.models import CharField, F, Func, QuerySet
from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from calldesk.accounts.models import Organization, User
from calldesk.callforms import codecs
from calldesk.callforms.definition import FieldType
from calldesk.callforms.models import CallForm, FormRevision
from calldesk.reports.models import CallReport, ExportRecord, Status
from calldesk.reports.search import FilterField, ReportFilter, report_fields

CHUNK = 2000
_PLAIN_TYPES = frozenset({FieldType.TEXT, FieldType.LONG_TEXT, FieldType.CHOICE, FieldType.PHONE, FieldType.EMAIL})
# Rows per piece of the streamed response: few enough to start at once, enough to be cheap.
LINES_PER_CHUNK = 200
# What a spreadsheet reads as the start of a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)
# A plain number is never run as a formula, and "-5" or "+15551234567" must stay as typed.
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
XLSX_CELL_MAX = 32767
# A worksheet has 1,048,576 rows, the header is one of them.
XLSX_MAX_ROWS = 1_048_575
BUILTIN_HEADERS = [
    "Report",
    "Form",
    "Revision",
    "Call start",
    "Agent",
    "Phone",
    "Phone (E.164)",
    "Call type",
    "Status",
    "Author",
    "Submitted at",
]
_WIDE_COLUMNS = frozenset({"Report", "Call start", "Submitted at", "Phone (E.164)"})
_COLUMNS = (
    "public_id",
    "form_id",
    "revision_id",
    "call_start",
    "agent_id",
    "phone_raw",
    "phone_e164",
    "call_type",
    "status",
    "author_id",
    "submitted_at",
    "values",
)


def neutralise(text: str) -> str:
    """Text a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class ExportPlan:
    """Everything the rows need besides the reports themselves, read once. Names, form names
    and call type labels are neutralised here, once; per row only the caller's values are."""

    def __init__(self, organization: Organization, form: CallForm | None = None) -> None:
        self.zone: ZoneInfo = organization.zone
        self.fields: list[FilterField] = report_fields(organization, form)
        users = User.objects.filter(organization=organization)
        self.people = {u.pk: neutralise(u.display_name) for u in users}
        forms = CallForm.objects.filter(organization=organization).values_list("pk", "name")
        self.forms = {pk: neutralise(name) for pk, name in forms}
        self.revisions: dict[int, tuple[int, dict[str, str]]] = {}
        for revision in FormRevision.objects.filter(form__organization=organization):
            types = {c.key: neutralise(c.label) for c in revision.definition.call_types}
            self.revisions[revision.pk] = (revision.number, types)
        self.statuses = dict(Status.choices)
        # Fields whose stored text is shown as it is (the quick path, once per cell); the others
        # (numbers, dates, times, yes/no) go through their type's codec.
        self.plain = {item.key for item in self.fields if item.type in _PLAIN_TYPES}

    @property
    def headers(self) -> list[str]:
        labels = [item.label for item in self.fields]
        # Two keys with one label would be two columns nobody can tell apart.
        return BUILTIN_HEADERS + [
            neutralise(f"{item.label} ({item.key})" if labels.count(item.label) > 1 else item.label)
            for item in self.fields
        ]

    def rows(self, reports: QuerySet[CallReport], as_text: bool = False) -> Iterator[list[Any]]:
        """One list of cells per report, every text neutralised. Times are in the organization's
        zone: naive datetimes, or with `as_text` "YYYY-MM-DD HH:MM:SS" strings (and numbers as
        they were typed) for CSV."""
        local: Any = self._local_text if as_text else self._local
        columns: list[Any] = list(_COLUMNS)
        if as_text and connections[reports.db].vendor == "postgresql":
            # The database writes the times: a third quicker than reading and formatting them here.
            columns[3] = LocalTimeText("call_start", self.zone.key)
            columns[10] = LocalTimeText("submitted_at", self.zone.key)
            local = _as_is
        kinds = [(item.key, item.type) for item in self.fields]
        plain = self.plain
        zone = self.zone
        named = {f"c{i}": column for i, column in enumerate(columns) if not isinstance(column, str)}
        selected = [column if isinstance(column, str) else f"c{i}" for i, column in enumerate(columns)]
        for row in reports.annotate(**named).values_list(*selected).iterator(chunk_size=CHUNK):
            (public_id, form_id, revision_id, call_start, agent_id, phone_raw, phone_e164, call_type) = row[:8]
            status, author_id, submitted_at, values = row[8:]
            number, types = self.revisions.get(revision_id, (0, {}))
            cells: list[Any] = [
                str(public_id),
                self.forms.get(form_id, ""),
                number,
                local(call_start),
                self.people.get(agent_id, "") if agent_id else "",
                neutralise(phone_raw),
                neutralise(phone_e164),
                types.get(call_type) or neutralise(call_type),
                self.statuses.get(status, status),
                self.people.get(author_id, ""),
                local(submitted_at),
            ]
            values = values or {}
            for key, kind in kinds:
                value = values.get(key)
                # Most values are plain text: the quick way for them (this runs once per cell).
                if value.__class__ is str and key in plain:
                    cells.append(neutralise(value) if value[:1] in _FORMULA_FIRST else value)
                else:
                    cells.append(export_cell(kind, value, zone, as_text))
            yield cells

    def _local(self, moment: datetime | None) -> datetime | None:
        return moment.astimezone(self.zone).replace(tzinfo=None) if moment else None

    def _local_text(self, moment: datetime | None) -> str:
        # isoformat is a good deal quicker than strftime, and this runs twice per row.
        return moment.astimezone(self.zone).isoformat(" ", "seconds")[:19] if moment else ""


class LocalTimeText(Func):
    """A time as "YYYY-MM-DD HH:MM:SS" in a zone, written by PostgreSQL."""

    output_field = CharField()

    def __init__(self, column: str, zone: str) -> None:
        super().__init__(F(column))
        self.zone = zone

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        sql, params = compiler.compile(self.source_expressions[0])
        return f"to_char({sql} AT TIME ZONE %s, 'YYYY-MM-DD HH24:MI:SS')", [*params, self.zone]


def _as_is(text: str | None) -> str:
    return text or ""


def export_cell(kind: str, value: Any, zone: ZoneInfo, as_text: bool = True) -> Any:
    """A stored value as its type's codec shows it (CSV text) or types it (XLSX), neutralised."""
    shown = codecs.show(kind, value, zone, separator="; ") if as_text else codecs.cell(kind, value, zone)
    return neutralise(shown) if isinstance(shown, str) else shown


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))[:XLSX_CELL_MAX]
    return value


def start_record(user: User, fmt: str, report_filter: ReportFilter) -> ExportRecord:
    assert user.organization is not None, "exports are of an organization's reports"
    return ExportRecord.objects.create(
        organization=user.organization, user=user, format=fmt, filters=report_filter.describe()
    )


def finish(record: ExportRecord, rows: int, complete: bool) -> None:
    record.rows = rows
    record.complete = complete
    record.finished_at = timezone.now()
    record.save(update_fields=["rows", "complete", "finished_at"])


def csv_lines(plan: ExportPlan, reports: QuerySet[CallReport], record: ExportRecord | None) -> Iterator[str]:
    """The CSV text, a few hundred rows at a time. The record gets the row count at the end,
    or the rows sent so far if the download stopped (the generator is closed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    count = 0
    complete = False
    try:
        yield "\ufeff"  # so spreadsheet programs read the file as UTF-8
        writer.writerow(plan.headers)
        for cells in plan.rows(reports, as_text=True):
            writer.writerow(cells)
            count += 1
            if count % LINES_PER_CHUNK == 0:
                yield drain(buffer)
        yield drain(buffer)
        complete = True
    finally:
        if record is not None:
            finish(record, count, complete)


def drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def csv_response(plan: ExportPlan, reports: QuerySet[CallReport], record: ExportRecord, total: int) -> HttpResponseBase:
    response = StreamingHttpResponse(csv_lines(plan, reports, record), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename(record, "csv")}"'
    response["X-Export-Rows"] = str(total)
    return response


def write_xlsx(plan: ExportPlan, reports: QuerySet[CallReport], target: IO[bytes]) -> int:
    """Write the workbook to `target` row by row (write-only mode keeps no cells in memory)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Reports")
    headers = plan.headers
    # The header stays in view while scrolling, each column can be filtered, and the widths
    # fit the headers (times and ids a little wider) — set before the rows, as write-only asks.
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        wide = 20 if header in _WIDE_COLUMNS else 10
        sheet.column_dimensions[get_column_letter(index)].width = min(max(wide, len(header) + 2), 40)
    sheet.append(headers)
    count = 0
    for cells in plan.rows(reports):
        sheet.append([_xlsx_value(cell) for cell in cells])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    book.save(target)
    return count


def xlsx_response(plan: ExportPlan, reports: QuerySet[CallReport], record: ExportRecord) -> HttpResponseBase:
    # The workbook is a zip whose directory comes last, so it cannot stream as it is made;
    # it goes to a temporary file on disk that is deleted once sent.
    target = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        count = write_xlsx(plan, reports, target)
    except BaseException:
        target.close()
        finish(record, 0, False)
        raise
    finish(record, count, True)
    target.seek(0)
    response = FileResponse(
        target,
        as_attachment=True,
        filename=filename(record, "xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["X-Export-Rows"] = str(count)
    return response


def filename(record: ExportRecord, extension: str) -> str:
    return f"reports-{timezone.localtime(record.started_at):%Y%m%d-%H%M%S}.{extension}"
