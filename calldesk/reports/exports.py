"""CSV and XLSX exports of a filtered report list.

One column per custom field key across revisions, times in the organization's zone, choice
labels as stored. Rows come from the database in chunks (`iterator`), are turned into cells
one at a time and leave at once — CSV as a streaming response, XLSX written by
calldesk.lib.xlsx into a temporary file — so memory does not grow with the row count.
Every export is recorded (who, when, which filter, how many rows).
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.db import connections
from django.db.models import CharField, F, Func, QuerySet, TextField
from django.db.models.functions import Cast
from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from calldesk.accounts.models import Organization, User
from calldesk.callforms import codecs
from calldesk.callforms.definition import FieldType
from calldesk.callforms.models import CallForm, FormRevision
from calldesk.lib import crypto, xlsx
from calldesk.lib.jsonload import loads as json_loads
from calldesk.lib.jsonload import string_or_loads
from calldesk.lib.readahead import query_ahead
from calldesk.lib.sealed import HASHED, SEALED
from calldesk.reports.models import CallReport, ExportRecord, Status
from calldesk.reports.search import FilterField, ReportFilter, report_fields

CHUNK = 2000
# Formatted values kept per column: enough for every yes/no, choice and date, bounded for times.
MEMO_SIZE = 4096
# Local hours kept per export for date-time fields (_moment_text): ten years' worth, ~10 MB at most.
HOURS_KEPT = 90_000
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
    if text[:1] in _FORMULA_FIRST and not (
        # A number with its sign (most often a phone number in E.164) is told without the regex.
        (text[0] in "+-" and text[1:].isdigit() and text.isascii()) or _PLAIN_NUMBER.fullmatch(text)
    ):
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
        they were typed) for CSV.

        This runs once per row of exports of hundreds of thousands of rows, so the work per row
        is kept small: no model instances and no field converters; the sealed columns arrive as
        stored and are opened here with the keys looked up once; a sealed string is read without
        a JSON parser; plain text takes the shortest path; an empty cell of each column is
        computed once."""
        local: Any = self._local_text if as_text else self._local
        columns: list[Any] = list(_COLUMNS[:-1])
        columns[5] = Cast("phone_raw", TextField())  # as stored: opened below, not by the field
        columns[6] = Cast("phone_e164", TextField())
        if connections[reports.db].vendor == "postgresql":
            # The database writes the ids and the local times: a third quicker than building
            # UUIDs and aware datetimes (Django's loader of timestamps is Python) and converting.
            columns[0] = Cast("public_id", TextField())
            columns[3] = LocalTimeText("call_start", self.zone.key, micro=not as_text)
            columns[10] = LocalTimeText("submitted_at", self.zone.key, micro=not as_text)
            local = _as_is if as_text else _naive
        columns.append(Cast("values", TextField()))  # parsed below, its sealed values opened
        named = {f"c{i}": column for i, column in enumerate(columns) if not isinstance(column, str)}
        selected = [column if isinstance(column, str) else f"c{i}" for i, column in enumerate(columns)]
        # Per column: how its cells are made (PLAIN text as stored, a MOMENT converted each time,
        # since date-times rarely repeat, or OTHER: formatted once per value) and its empty cell.
        kinds = [
            (
                item.key,
                item.type,
                PLAIN if item.key in self.plain else MOMENT if item.type == FieldType.DATETIME else OTHER,
                export_cell(item.type, None, self.zone, as_text),
            )
            for item in self.fields
        ]
        moment = _moment_text if as_text else _moment_cell
        empties = [empty for _, _, _, empty in kinds]
        places = {key: (len(BUILTIN_HEADERS) + i, kind, how) for i, (key, kind, how, _) in enumerate(kinds)}
        zone = self.zone
        opened = crypto.opener()
        memos: dict[str, dict[Any, Any]] = {item.key: {} for item in self.fields}
        hours: dict[str, str] = {}  # see _moment_text
        loads = json_loads
        people, forms, statuses = self.people, self.forms, self.statuses
        # CSV cells are all text, so that a row can be joined as it is (see csv_text).
        revisions: dict[int, tuple[Any, dict[str, str]]] = (
            {pk: (str(n), types) for pk, (n, types) in self.revisions.items()} if as_text else dict(self.revisions)
        )
        unknown_revision: tuple[Any, dict[str, str]] = ("0", {}) if as_text else (0, {})
        # The next chunk is read from the database while this one is turned into cells.
        for row in query_ahead(reports.annotate(**named).values_list(*selected), CHUNK):
            (public_id, form_id, revision_id, call_start, agent_id, phone_raw, phone_e164, call_type) = row[:8]
            status, author_id, submitted_at, values = row[8:]
            number, types = revisions.get(revision_id, unknown_revision)
            if phone_raw:
                phone_raw = opened(phone_raw)
                if phone_raw[:1] in _FORMULA_FIRST:
                    phone_raw = neutralise(phone_raw)
            if phone_e164:
                phone_e164 = opened(phone_e164)
                # E.164 ("+" and ASCII digits) is left as it is, told without a call; anything else
                # goes through neutralise (as phone_raw does).
                if not (phone_e164[1:].isdigit() and phone_e164[0] == "+" and phone_e164.isascii()):
                    phone_e164 = neutralise(phone_e164)
            cells: list[Any] = [
                public_id if public_id.__class__ is str else str(public_id),
                forms.get(form_id, ""),
                number,
                local(call_start),
                people.get(agent_id, "") if agent_id else "",
                phone_raw or "",
                phone_e164 or "",
                types.get(call_type) or neutralise(call_type),
                statuses.get(status, status),
                people.get(author_id, ""),
                local(submitted_at),
                *empties,
            ]
            values = loads(values) if values else None
            if values.__class__ is not dict:
                yield cells
                continue
            # The row starts with every field's empty cell; only the keys the report holds are
            # visited (a report holds the fields of its own revision: about half of the columns
            # of an organization with several forms or revisions).
            for key, value in values.items():
                place = places.get(key)
                if place is None or value is None:
                    continue
                index, kind, how = place
                if value.__class__ is str:  # most values: plain text
                    if how is PLAIN:
                        cells[index] = neutralise(value) if value[:1] in _FORMULA_FIRST else value
                        continue
                elif value.__class__ is dict and SEALED in value and HASHED in value:
                    value = string_or_loads(opened(value[SEALED]))
                    if value is None:
                        continue
                    if how is PLAIN and value.__class__ is str:
                        cells[index] = neutralise(value) if value[:1] in _FORMULA_FIRST else value
                        continue
                if how is MOMENT:
                    cells[index] = moment(value, zone, hours)
                    continue
                # The other types' values repeat (yes/no, choices, dates): each is formatted once.
                # (The class is part of the key: True and 1 are equal keys, not equal values.)
                memo = memos[key]
                remembered = (value.__class__, tuple(value) if value.__class__ is list else value)
                try:
                    cells[index] = memo[remembered]
                except KeyError:
                    shown = export_cell(kind, value, zone, as_text)
                    if len(memo) < MEMO_SIZE:
                        memo[remembered] = shown
                    cells[index] = shown
                except TypeError:  # not hashable: a referrals document, a list of objects
                    cells[index] = export_cell(kind, value, zone, as_text)
            yield cells

    def _local(self, moment: datetime | None) -> datetime | None:
        return moment.astimezone(self.zone).replace(tzinfo=None) if moment else None

    def _local_text(self, moment: datetime | None) -> str:
        # isoformat is a good deal quicker than strftime, and this runs twice per row.
        return moment.astimezone(self.zone).isoformat(" ", "seconds")[:19] if moment else ""


class LocalTimeText(Func):
    """A time as "YYYY-MM-DD HH:MM:SS" in a zone, written by PostgreSQL; with `micro`, with its
    microseconds (".ffffff") too."""

    output_field = CharField()

    def __init__(self, column: str, zone: str, micro: bool = False) -> None:
        super().__init__(F(column))
        self.zone = zone
        self.micro = micro

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        sql, params = compiler.compile(self.source_expressions[0])
        shape = "YYYY-MM-DD HH24:MI:SS.US" if self.micro else "YYYY-MM-DD HH24:MI:SS"
        return f"to_char({sql} AT TIME ZONE %s, '{shape}')", [*params, self.zone]


PLAIN, MOMENT, OTHER = "plain", "moment", "other"


def _as_is(text: str | None) -> str:
    return text or ""


def _naive(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _moment_text(stored: Any, zone: ZoneInfo, hours: dict[str, str] | None = None) -> str:
    """A date-time field's value as `codecs.show` writes it. strftime is slow and date-times
    rarely repeat, so the common case (a stored ISO text of a year with four digits) is written
    by isoformat; anything else goes through the codec. With `hours` (a dict kept for one
    export), a time stored as the editor stores it (UTC, whole seconds) is its hour's local
    text, found once per hour, and its minutes and seconds as stored: isoformat of a zoned time
    costs several times parsing one."""
    if stored.__class__ is str:
        if hours is not None and _UTC_SECONDS.fullmatch(stored):
            hour = hours.get(stored[:13])
            if hour is None:
                hour = _local_hour(stored[:13], zone)
                if len(hours) < HOURS_KEPT:
                    hours[stored[:13]] = hour
            if hour:
                try:
                    datetime.fromisoformat(stored)  # a day or a time that does not exist (2026-02-30)
                except ValueError:
                    pass
                else:
                    return hour + stored[13:19]
        try:
            moment = datetime.fromisoformat(stored)
            local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone)
        except (ValueError, OverflowError):  # the codec says what becomes of it
            local = None
        if local is not None and local.year >= 1000:
            return local.isoformat(" ", "seconds")[:19]  # digits first: nothing to neutralise
    return export_cell(FieldType.DATETIME, stored, zone, True)


# A date-time as stored by the editor: UTC, to the second.
_UTC_SECONDS = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+00:00")


def _local_hour(utc_hour: str, zone: ZoneInfo) -> str:
    """ "YYYY-MM-DD HH" of the zone for every time of a UTC hour ("YYYY-MM-DDTHH"), when the
    zone's offset is the same whole number of hours all through it (minutes and seconds are then
    those of UTC); "" when not (a zone half an hour off UTC, a change of offset in that hour)."""
    try:
        start = datetime.fromisoformat(utc_hour + ":00:00+00:00")
        first, last = start.astimezone(zone), (start + timedelta(hours=1, microseconds=-1)).astimezone(zone)
    except (ValueError, OverflowError):
        return ""
    offset = first.utcoffset()
    if offset is None or offset != last.utcoffset() or offset % timedelta(hours=1) or first.year < 1000:
        return ""
    return first.isoformat(" ", "seconds")[:13]


def _moment_cell(stored: Any, zone: ZoneInfo, hours: dict[str, str] | None = None) -> Any:
    """A date-time field's value as `codecs.cell` types it (see `_moment_text`)."""
    if stored.__class__ is str:
        try:
            moment = datetime.fromisoformat(stored)
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone).replace(tzinfo=None)
        except (ValueError, OverflowError):  # the codec says what becomes of it
            pass
    return export_cell(FieldType.DATETIME, stored, zone, False)


def export_cell(kind: str, value: Any, zone: ZoneInfo, as_text: bool = True) -> Any:
    """A stored value as its type's codec shows it (CSV text) or types it (XLSX), neutralised."""
    shown = codecs.show(kind, value, zone, separator="; ") if as_text else codecs.cell(kind, value, zone)
    return neutralise(shown) if isinstance(shown, str) else shown


def _xlsx_value(value: Any, neutralised: bool = False) -> Any:
    """A cell without the characters a worksheet cannot hold, neutralised (again, when taking
    them out changed it), cut to a cell's length."""
    if isinstance(value, str):
        cleaned = ILLEGAL_CHARACTERS_RE.sub("", value)
        if not neutralised or cleaned is not value:  # `sub` gives its argument back when unchanged
            cleaned = neutralise(cleaned)
        return cleaned[:XLSX_CELL_MAX]
    return value


def start_record(
    organization: Organization, fmt: str, report_filter: ReportFilter, *, user: User | None = None, actor: str = ""
) -> ExportRecord:
    """The record of an export begun by `user`, or by `actor` when no person did (an API token)."""
    return ExportRecord.objects.create(
        organization=organization, user=user, actor=actor, format=fmt, filters=report_filter.describe()
    )


def finish(record: ExportRecord, rows: int, complete: bool) -> None:
    record.rows = rows
    record.complete = complete
    record.finished_at = timezone.now()
    record.save(update_fields=["rows", "complete", "finished_at"])


def csv_lines(plan: ExportPlan, reports: QuerySet[CallReport], record: ExportRecord | None) -> Iterator[str]:
    """The reports' CSV text (see `csv_text`)."""
    return csv_text(plan.headers, plan.rows(reports, as_text=True), record)


def csv_text(headers: list[str], rows: Iterable[list[Any]], record: ExportRecord | None) -> Iterator[str]:
    """A CSV of `rows`, a few hundred at a time. The record gets the row count at the end, or
    the rows sent so far if the download stopped (the generator is closed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    count = 0
    complete = False
    try:
        yield "\ufeff"  # so spreadsheet programs read the file as UTF-8
        writer.writerow(headers)
        lines: list[str] = [drain(buffer)]
        pending = 0
        for cells in rows:
            # The csv module formats each field in turn; most rows need no quoting at all, and
            # are then exactly their cells joined by commas (texts with no comma, quote or line
            # break inside a cell). Any other row is written by the csv module.
            try:
                line = ",".join(cells)
            except TypeError:  # a cell that is not text
                line = ""
            if (
                len(cells) > 1
                and line.count(",") == len(cells) - 1
                and '"' not in line  # (three searches for a character: a tenth of one regex search)
                and "\r" not in line
                and "\n" not in line
            ):
                lines.append(line + "\r\n")
            else:
                writer.writerow(cells)
                lines.append(drain(buffer))
            pending += 1
            if pending == LINES_PER_CHUNK:
                count += pending
                pending = 0
                yield "".join(lines)
                lines.clear()
        count += pending
        yield "".join(lines)
        complete = True
    finally:
        # The rows stop first: an export's next rows are being read by a thread on the
        # connection the record is written on (lib.readahead).
        _close(rows)
        if record is not None:
            finish(record, count, complete)


def _close(rows: Iterable[Any]) -> None:
    close = getattr(rows, "close", None)
    if close is not None:
        close()


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
    """Write the workbook to `target` row by row (calldesk.lib.xlsx keeps no rows in memory).
    The header stays in view while scrolling, each column can be filtered, and the widths fit
    the headers (times and ids a little wider)."""
    headers = plan.headers
    widths = [min(max(20 if header in _WIDE_COLUMNS else 10, len(header) + 2), 40) for header in headers]
    rows = plan.rows(reports)
    try:
        return xlsx.write_sheet(target, "Reports", headers, widths, _xlsx_rows(rows))
    finally:
        _close(rows)  # before the record is written: see csv_text


def _xlsx_rows(rows: Iterable[list[Any]]) -> Iterator[list[Any]]:
    """`rows` (their texts neutralised already) as a worksheet can hold them (`_xlsx_value`).
    Almost no row holds a character a worksheet cannot, or a text too long for a cell: one
    search over a row's texts together says so, and the row is then kept as it is."""
    for cells in rows:
        texts = "".join([cell for cell in cells if cell.__class__ is str])
        if len(texts) > XLSX_CELL_MAX or ILLEGAL_CHARACTERS_RE.search(texts):
            yield [_xlsx_value(cell, True) if cell.__class__ is str else cell for cell in cells]
        else:
            yield cells


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
