"""`/api/reports`: the organization's reports, with the report list's filters."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db import connections
from django.db.models import CharField, F, Func, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from ninja import Query, Router
from ninja.responses import NinjaJSONEncoder

from calldesk.accounts.models import Organization, User
from calldesk.api.auth import organization_reader, token_of, token_reader
from calldesk.api.bodies import ApiError
from calldesk.api.schemas import READ_ERRORS, ReportFilterQuery, ReportOut, ReportPageOut, ReportQuery
from calldesk.audit.models import AccessEvent
from calldesk.audit.services import record_access
from calldesk.configure.models import ApiToken
from calldesk.lib.crypto import opener
from calldesk.lib.jsonload import dumps, loads, string_or_loads
from calldesk.lib.prepared import Prepared, generic_plan, param
from calldesk.lib.readahead import query_ahead
from calldesk.lib.sealed import HASHED, SEALED, open_values
from calldesk.reports.exports import CHUNK, LINES_PER_CHUNK, finish, start_record
from calldesk.reports.models import CallReport, ExportRecord
from calldesk.reports.search import PeriodForm, ReportFilter, ReportFilterForm, day_range, within
from calldesk.reports.services import visible_reports

router = Router(tags=["reports"])


@router.get("", response={200: ReportPageOut, **READ_ERRORS}, summary="The organization's reports, filtered")
def list_reports(request: HttpRequest, query: Query[ReportQuery]) -> HttpResponse:
    """The filters of the report list (`from`, `to`, `agent`, `form`, `call_type`, `status`,
    `phone`, `f_<field key>`), newest call first, a page at a time: pass `next` as `cursor`."""
    token = token_of(request)
    reader = token_reader(token)
    assert reader.organization is not None
    newest_first = query.sort == "-call_start"
    rows = _prepared_page(request, reader.organization, query) if _prepared_shape(request) else None
    if rows is None:
        reports = _filter_form(request, token, reader).result().apply(visible_reports(reader), reader.organization.zone)
        if query.cursor:
            reports = reports.filter(_after(*_cursor_values(query.cursor), newest_first))
        rows = list(_page_columns(reports, query.limit))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    opened = opener()
    items = [_page_item(row, opened) for row in rows]
    last = rows[-1] if more and rows else None
    page = {"items": items, "next": _cursor_of(last[_CURSOR_START], last[_ID]) if last else None}
    # The page is written here rather than validated by the response schema (which describes it
    # for the OpenAPI document): read as tuples and written as ninja writes it (`_page_item`'s
    # times), a page of 200 costs a fraction of 200 model instances validated one by one.
    return HttpResponse(dumps(page), content_type="application/json; charset=utf-8")


@router.get(
    "/export",
    response=READ_ERRORS,
    summary="Every report of the filter, as JSON lines",
    openapi_extra={
        "responses": {
            "200": {
                "description": "A report a line, each as an item of `GET /api/reports`.",
                "content": {"application/x-ndjson": {"schema": {"$ref": "#/components/schemas/ReportOut"}}},
            }
        }
    },
)
def export_reports(request: HttpRequest, query: Query[ReportFilterQuery]) -> HttpResponseBase:
    """Every report of the filter (the list's, as for `GET /api/reports`, and `sort`) in one
    answer, a report a line (`application/x-ndjson`), each as an item of a page. For export
    jobs: no chain of pages, each waiting for the one before, and the database reads the next
    rows while these are written. Recorded as an export, as the list's downloads are."""
    token = token_of(request)
    reader = token_reader(token)
    assert reader.organization is not None
    report_filter = _filter_form(request, token, reader).result()
    reports = report_filter.apply(visible_reports(reader), reader.organization.zone)
    record = start_record(reader.organization, ExportRecord.Format.API, report_filter, actor=_actor(token))
    return StreamingHttpResponse(_json_lines(_columns(reports), record), content_type="application/x-ndjson")


def _filter_form(request: HttpRequest, token: ApiToken, reader: User) -> ReportFilterForm:
    """The report list's filter form of the query string, a search by number recorded in the
    access log; a 422 with each field's message."""
    form = ReportFilterForm(reader, request.GET)
    if not form.is_valid():
        errors = {name: str(messages[0]) for name, messages in form.errors.items()}
        raise ApiError(422, "Some filters are not valid; see errors.", errors)
    if form.cleaned_data.get("phone"):
        _audit(request, token, AccessEvent.Action.PHONE_SEARCH, phone_e164=form.cleaned_data["phone"], page="api")
    return form


def _json_lines(rows: QuerySet[CallReport, tuple[Any, ...]], record: ExportRecord) -> Iterator[bytes]:
    """The rows as a page's items, a line each, a few hundred lines at a time. The record gets
    the count at the end, or the lines sent so far if the download stopped (as a CSV's)."""
    read = query_ahead(rows, CHUNK)
    opened = opener()
    lines: list[bytes] = []
    count, complete = 0, False
    try:
        for row in read:
            lines.append(dumps(_page_item(row, opened)))
            if len(lines) == LINES_PER_CHUNK:
                count += len(lines)
                yield b"\n".join(lines) + b"\n"
                lines.clear()
        if lines:
            count += len(lines)
            yield b"\n".join(lines) + b"\n"
        complete = True
    finally:
        read.close()  # the reader stops before the record is written on its connection
        finish(record, count, complete)


@router.get("/{report_id}", response={200: ReportOut, **READ_ERRORS}, summary="One report")
def get_report(request: HttpRequest, report_id: str) -> ReportOut:
    org = token_of(request).organization
    try:
        public_id = UUID(report_id)
    except ValueError:
        raise Http404("No such report.") from None
    report = _with_relations(CallReport.objects.filter(organization=org, public_id=public_id)).first()
    if report is None:
        raise Http404("No such report.")
    _audit(request, token_of(request), AccessEvent.Action.REPORT_VIEW, report=public_id, page="api")
    return report_out(report)


def _audit(request: HttpRequest, token: ApiToken, action: str, **what: Any) -> None:
    """The access audit, as for the pages (calldesk.audit): the token stands for the person."""
    record_access(action, request=request, organization=token.organization_id, actor=_actor(token), **what)


def _actor(token: ApiToken) -> str:
    return f"API token “{token.name}”"


# What report_out never reads: opening the call's sealed parameters and parsing the revision's
# whole definition for every row were most of a page's time (a page of 200 rows).
_UNREAD = (
    "unchecked",
    "revision__definition_json",
    "call__params",
    "call__unmapped",
    "call__notices",
    "call__resolved",
    "agent__password",
    "author__password",
)


def _with_relations(reports: QuerySet[CallReport]) -> QuerySet[CallReport]:
    return reports.select_related("form", "revision", "agent", "author", "call").defer(*_UNREAD)


def _cursor_of(call_start: datetime | str, pk: int) -> str:
    """`call_start`: a datetime, or its isoformat() as PostgreSQL wrote it (`UtcTimeText`)."""
    start = call_start if isinstance(call_start, str) else call_start.isoformat()
    return base64.urlsafe_b64encode(f"{start}|{pk}".encode()).decode()


class UtcTimeText(Func):
    """A timestamp as text written by PostgreSQL, in UTC: as `datetime.isoformat()` writes it,
    or with `encoded`, as the API's JSON encoder (Django's) writes a datetime: milliseconds
    (cut, not rounded) when it has a fraction of a second, "Z" for UTC. A page's four times
    per row then cost Python nothing: Django's loader of timestamps is Python (psycopg's own is
    C) and the encoder calls back into Python for each datetime."""

    output_field = CharField()

    def __init__(self, column: str, encoded: bool) -> None:
        super().__init__(F(column))
        self.encoded = encoded

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        sql, params = compiler.compile(self.source_expressions[0])
        fraction, zone = ("MS", "Z") if self.encoded else ("US", "+00:00")
        utc = f"({sql} AT TIME ZONE 'UTC')"
        return (
            f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN date_trunc('second', {sql}) = {sql} "
            f"THEN '' ELSE to_char({utc}, '.{fraction}') END || '{zone}')",
            [*params, *params, *params],
        )


# A page's columns, the sealed ones as stored (opened with one opener for the page).
_AS_STORED = {
    "stored_phone_raw": Cast("phone_raw", TextField()),
    "stored_phone_e164": Cast("phone_e164", TextField()),
    "stored_values": Cast("values", TextField()),
}
_PAGE_COLUMNS = (
    "public_id",
    "form__report_ver",
    "form__name",
    "revision__number",
    "status",
    "call_type",
    "agent_id",
    "agent__email",
    "agent__name",
    "agent__agent_id",
    "author_id",
    "author__email",
    "author__name",
    "author__agent_id",
    "call_start",
    "stored_phone_raw",
    "stored_phone_e164",
    "stored_values",
    "created_at",
    "updated_at",
    "submitted_at",
    "version",
    "call_id",
    "call__public_id",
    "call__external_id",
    "id",
)
_ID = _PAGE_COLUMNS.index("id")
# On PostgreSQL the ids and times come as the text the page shows (see UtcTimeText; a UUID's
# text is its str()), so that no UUID or datetime is made per row, nor encoded by a callback.
# The last column is the call start that a cursor holds.
_AS_TEXT = {
    "public_id": Cast("public_id", TextField()),
    "call__public_id": Cast("call__public_id", TextField()),
    "call_start": UtcTimeText("call_start", encoded=True),
    "created_at": UtcTimeText("created_at", encoded=True),
    "updated_at": UtcTimeText("updated_at", encoded=True),
    "submitted_at": UtcTimeText("submitted_at", encoded=True),
}
_PAGE_QUERIES: dict[bool, tuple[dict[str, Any], tuple[str, ...]]] = {
    False: (_AS_STORED, (*_PAGE_COLUMNS, "call_start")),
    True: (
        {
            **_AS_STORED,
            **{f"text_{name.replace('__', '_')}": expression for name, expression in _AS_TEXT.items()},
            "cursor_start": UtcTimeText("call_start", encoded=False),
        },
        (
            *(f"text_{name.replace('__', '_')}" if name in _AS_TEXT else name for name in _PAGE_COLUMNS),
            "cursor_start",
        ),
    ),
}
_CURSOR_START = len(_PAGE_COLUMNS)


def _page_item(row: tuple[Any, ...], opened: Callable[[str], str]) -> dict[str, Any]:
    """One report of a page, as `report_out` gives it (the same keys in the same order)."""
    (public_id, report_ver, form_name, revision, status, call_type) = row[:6]
    (agent_id, agent_email, agent_name, agent_code, author_id, author_email, author_name, author_code) = row[6:14]
    (call_start, phone_raw, phone_e164, values, created_at, updated_at, submitted_at, version) = row[14:22]
    call_id, call_public_id, external_id = row[22:25]
    return {
        "id": public_id,
        "reportVer": report_ver,
        "formName": form_name,
        "revision": revision,
        "status": status,
        "callType": call_type,
        "agent": {"email": agent_email, "name": agent_name, "agentId": agent_code} if agent_id else None,
        "author": {"email": author_email, "name": author_name, "agentId": author_code} if author_id else None,
        "callStart": _time(call_start),
        "phone": opened(phone_raw) if phone_raw else phone_raw,
        "phoneE164": opened(phone_e164) if phone_e164 else phone_e164,
        "values": _opened_values(values, opened) if values else values,
        "createdAt": _time(created_at),
        "updatedAt": _time(updated_at),
        "submittedAt": _time(submitted_at),
        "version": version,
        "call": {"id": call_public_id, "callId": external_id} if call_id else None,
    }


_ENCODER = NinjaJSONEncoder()


def _time(moment: datetime | str | None) -> str | None:
    """A time as the API writes it. PostgreSQL's rows hold its text already (`UtcTimeText`);
    SQLite's hold a datetime, written here as ninja's encoder writes one (milliseconds, "Z")."""
    return moment if moment is None or moment.__class__ is str else _ENCODER.default(moment)


def _opened_values(text: str, opened: Callable[[str], str]) -> Any:
    """`open_values(loads(text), opened)`, opening in place the document just parsed (each
    report of a page holds a few sealed values among about ten)."""
    values = loads(text)
    if values.__class__ is not dict or (SEALED in values and HASHED in values):
        return open_values(values, opened)
    for key, value in values.items():  # (only existing keys are set: the dict keeps its size)
        if value.__class__ is dict and SEALED in value and HASHED in value:
            values[key] = string_or_loads(opened(value[SEALED]))
    return values


def _cursor_values(cursor: str) -> tuple[datetime, int]:
    """The call start and id a cursor holds; a 422 for anything this API did not give."""
    try:
        start_text, _, pk_text = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        start, pk = datetime.fromisoformat(start_text), int(pk_text)
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise ApiError(422, "The cursor is not one this API gave.", {"cursor": "not a cursor of this list"}) from None
    if start.tzinfo is None:
        raise ApiError(422, "The cursor is not one this API gave.", {"cursor": "not a cursor of this list"})
    return start, pk


def _after(start: datetime, pk: int, newest_first: bool) -> Q:
    # The first bound says the same as the OR after it, in a form the call start index can start
    # its range from: without it each page read the list from its start again (page k: k pages).
    if newest_first:
        return Q(call_start__lte=start) & (Q(call_start__lt=start) | Q(call_start=start, id__lt=pk))
    return Q(call_start__gte=start) & (Q(call_start__gt=start) | Q(call_start=start, id__gt=pk))


_UTC = ZoneInfo("UTC")
# The page sizes a prepared page's query is compiled for (ReportQuery's limit is 1 to 200).
_LIMITS = (1, 10, 50, 100, 200)
# The query string of a walk read by a prepared query: what `ReportQuery` reads besides the
# filter form, and the period (`PeriodForm`), which is how export jobs walk: "last month".
_PAGING = frozenset({"cursor", "limit", "sort"})
_PREPARED = _PAGING | {"from", "to"}
# An id a prepared query can carry as it is (the ORM's lookups answer an id past a column's
# range themselves: such a cursor, which this API never gives, takes the general path).
_BIGINT = (-(2**63), 2**63 - 1)


def _prepared_shape(request: HttpRequest) -> bool:
    """No filter of the report list in the query string but the period: the filter form would
    give `ReportFilter(start, end)` (with the sort `ReportQuery` validated: a sort given once)."""
    return request.GET.keys() <= _PREPARED and len(request.GET.getlist("sort")) <= 1


def _prepared_page(
    request: HttpRequest, organization: Organization, query: ReportQuery
) -> list[tuple[Any, ...]] | None:
    """A page's rows read by the prepared query of its shape (no filter form to build, no
    queryset to compile); None for what the general path answers: a period that is not valid
    (its errors are the filter form's) or a cursor whose id a prepared query cannot carry."""
    first_day = last_day = None
    if "from" in request.GET or "to" in request.GET:  # (a walk of every report has no form to fill)
        period = PeriodForm(request.GET)
        if not period.is_valid():
            return None
        first_day, last_day = period.cleaned_data["from"], period.cleaned_data["to"]
    newest_first = query.sort == "-call_start"
    # SQL holds a limit as it is: a few limits are compiled, each page reads the least of them
    # that holds its own (and the one report after it, which says there is a next page).
    limit = next(size for size in _LIMITS if size >= query.limit)
    lower, upper = day_range(first_day, last_day, organization.zone)
    values: dict[str, Any] = {name: bound for name, bound in (("lower", lower), ("upper", upper)) if bound}
    if query.cursor:
        start, pk = _cursor_values(query.cursor)
        if not _BIGINT[0] <= pk <= _BIGINT[1]:
            return None
        values |= {"start": start, "pk": pk}
    shape = _default_page(newest_first, bool(query.cursor), limit, lower is not None, upper is not None)
    # Every page of a shape reads the call start index between its bounds: one plan, not one
    # per page (each plan weighs six tables against the reports' indexes: 2.6 ms, as long as
    # reading the page).
    with generic_plan():
        rows = shape.rows(organization=organization.pk, **values)
    return rows[: query.limit + 1]


def _default_query(organization: int, newest_first: bool) -> QuerySet[CallReport]:
    """The reports a prepared page reads before its period: the organization's, as the filter
    form's default filter and the token's reader (a supervisor) see them."""
    reader = organization_reader(organization)
    # (The zone only places the days of `from` and `to`, whose bounds a prepared page sets itself.)
    return ReportFilter(sort="-call_start" if newest_first else "call_start").apply(visible_reports(reader), _UTC)


def _page_columns(reports: QuerySet[CallReport], limit: int) -> QuerySet[CallReport, tuple[Any, ...]]:
    return _columns(reports)[: limit + 1]


def _columns(reports: QuerySet[CallReport]) -> QuerySet[CallReport, tuple[Any, ...]]:
    """The rows `_page_item` reads."""
    annotations, columns = _PAGE_QUERIES[connections[reports.db].vendor == "postgresql"]
    return reports.annotate(**annotations).values_list(*columns)


@cache
def _default_page(newest_first: bool, after: bool, limit: int, lower: bool, upper: bool) -> Prepared[CallReport]:
    """A page's query, compiled once per shape (order, first page or not, one of `_LIMITS`, the
    period's bounds given or not). Compiling it (five joins, 27 columns, the bounds) cost a page
    about as much as reading its rows once decrypted."""
    call_start = param(CallReport, "call_start")
    bounds = {name: call_start for name, given in (("lower", lower), ("upper", upper)) if given}
    cursor = {"start": call_start, "pk": param(CallReport, "id")} if after else {}

    def build(organization: int, **values: Any) -> QuerySet[CallReport, tuple[Any, ...]]:
        reports = within(_default_query(organization, newest_first), values.get("lower"), values.get("upper"))
        if after:
            reports = reports.filter(_after(values["start"], values["pk"], newest_first))
        return _page_columns(reports, limit)

    return Prepared(build, organization=param(CallReport, "organization"), **bounds, **cursor)


def _person(user: object) -> dict[str, str] | None:
    if user is None:
        return None
    return {"email": user.email, "name": user.name, "agentId": user.agent_id}  # type: ignore[attr-defined]


def report_out(report: CallReport) -> ReportOut:
    return ReportOut.model_validate(
        {
            "id": report.public_id,
            "reportVer": report.form.report_ver,
            "formName": report.form.name,
            "revision": report.revision.number,
            "status": report.status,
            "callType": report.call_type,
            "agent": _person(report.agent),
            "author": _person(report.author),
            "callStart": report.call_start,
            "phone": report.phone_raw,
            "phoneE164": report.phone_e164,
            "values": report.values,
            "createdAt": report.created_at,
            "updatedAt": report.updated_at,
            "submittedAt": report.submitted_at,
            "version": report.version,
            "call": {"id": report.call.public_id, "callId": report.call.external_id} if report.call else None,
        }
    )
