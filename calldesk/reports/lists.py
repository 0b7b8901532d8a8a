"""The report list: combined filters, sorting, pages, counts, and its exports.

`/reports/?from=…&status=…` shows a page; the same query with `export=csv` or
`export=xlsx` downloads every matching report. The list starts from `visible_reports`, so a
specialist sees (and exports) only their own reports through any filter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET

from calldesk.accounts.access import current_user
from calldesk.accounts.models import User
from calldesk.callforms.definition import FieldType
from calldesk.callforms.models import CallForm
from calldesk.lib.phones import shown_number
from calldesk.lib.querystrings import tidy_redirect, without_empty
from calldesk.reports import exports, referral_exports
from calldesk.reports.models import CallReport, ExportRecord, Status
from calldesk.reports.search import ReportFilterForm, call_type_labels
from calldesk.reports.services import visible_reports

PAGE_SIZE = 50
# Counting every match of a broad filter reads every matching row (a second or more across a
# million reports); past this many the list says "more than 10,000" and the export counts.
COUNT_CAP = 10_000
# The list page's downloads; the API's export (JSON lines) is `GET /api/reports/export`.
EXPORT_FORMATS = {ExportRecord.Format.CSV, ExportRecord.Format.XLSX, ExportRecord.Format.REFERRALS}
DEFAULT_SORT = "-call_start"
SORTABLE = [("call_start", "Call start"), ("form", "Form"), ("agent", "Agent"), ("status", "Status")]
# A page number past this is past the end of any list; bounding it keeps the row offset
# within what the database takes (a 64-bit integer on PostgreSQL, less on SQLite).
MAX_PAGE = 10_000_000
# How deep a page may start: the database reads every row before it (an index walk, ~25 k rows
# for page 500), so past this a list asks for a narrower filter instead of taking seconds.
DEEP_ROWS = 50_000
# A list of at most this many matches is read by their ids (see list_page).
FEW = 1_000


def page_number(raw: str | None) -> int:
    """The page asked for: 1 for anything that is not a whole number, at most MAX_PAGE."""
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit()):
        return 1
    # Compared as text first: int() of thousands of digits is refused (and slow).
    return MAX_PAGE if len(text) > len(str(MAX_PAGE)) else max(1, min(int(text), MAX_PAGE))


class CappedPaginator(Paginator):
    """Counts matches up to COUNT_CAP + 1; past that the count is not the end of the list.
    With `ids_first`, the matches' ids are read (up to as many) and counted: see capped_page."""

    def __init__(self, object_list: QuerySet[Any], per_page: int, ids_first: bool = False) -> None:
        super().__init__(object_list, per_page)
        self.ids: list[Any] | None = None
        if ids_first:
            self.ids = list(object_list.order_by().values_list("pk", flat=True)[: COUNT_CAP + 1])

    @cached_property
    def count(self) -> int:
        if self.ids is not None:
            return len(self.ids)
        items = cast(QuerySet[Any], self.object_list)
        return int(items.order_by()[: COUNT_CAP + 1].count())

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP


class ListPage(Page):
    """A page of a list whose end may not be counted: a whole page past the count has a next one."""

    def has_next(self) -> bool:
        paginator = cast(CappedPaginator, self.paginator)
        if paginator.capped:
            return len(self.object_list) == paginator.per_page and self.number < MAX_PAGE
        return super().has_next()

    def next_page_number(self) -> int:
        return self.number + 1  # the paginator would check it against the capped count

    def previous_page_number(self) -> int:
        return self.number - 1


class TooDeep(Exception):
    """The page asked for starts past DEEP_ROWS of a list too long to count."""

    def __init__(self, number: int) -> None:
        super().__init__(f"page {number} is too deep")
        self.number = number


# Groups a sort walks in order, each read from an index by call start (see `_grouped_rows`).
GROUPED = {"agent": "agent_id", "form": "form_id", "status": "status"}


def _groups(key: str, organization_id: int, descending: bool) -> list[Any]:
    """The values of a grouped sort's column, in the order the list shows them."""
    if key == "agent":
        users = User.objects.filter(organization_id=organization_id).order_by("name", "email")
        order: list[Any] = [*users.values_list("pk", flat=True), None]  # unassigned reports last
    elif key == "form":
        order = list(
            CallForm.objects.filter(organization_id=organization_id).order_by("name", "pk").values_list("pk", flat=True)
        )
    else:
        order = sorted(Status.values)
    return order[::-1] if descending else order


def _grouped_rows(reports: QuerySet[CallReport], key: str, groups: list[Any], bottom: int) -> list[CallReport]:
    """One page of a list sorted by a column with few values (agent, form, status), newest first
    within each: read group by group from the (column, call start) indexes, skipping whole groups
    by a count that stops at what is left to skip. Never sorts every match (the old
    ORDER BY agent name read and sorted them all)."""
    column = GROUPED[key]
    skip = bottom
    rows: list[CallReport] = []
    for group in groups:
        part = reports.filter(**({f"{column}__isnull": True} if group is None else {column: group}))
        if skip:
            counted = int(part.order_by()[:skip].count())
            if counted < skip:
                skip -= counted
                continue
        need = PAGE_SIZE - len(rows)
        rows += list(part.order_by("-call_start", "-id")[skip : skip + need])
        skip = 0
        if len(rows) == PAGE_SIZE:
            break
    return rows


def _rows(reports: QuerySet[CallReport], sort: str, organization_id: int, bottom: int) -> list[CallReport]:
    key = sort.lstrip("-")
    if key in GROUPED:
        groups = _groups(key, organization_id, sort.startswith("-"))
        return _grouped_rows(reports, key, groups, bottom)
    return list(reports[bottom : bottom + PAGE_SIZE])


def list_page(
    reports: QuerySet[CallReport], number: str | None, sort: str, organization_id: int, by_words: bool = False
) -> ListPage:
    """A page of the report list, read in the order of `sort` (see capped_page). `by_words`: the
    filter looks words up in the blind index (ReportFilter.by_words)."""
    return capped_page(
        reports,
        number,
        PAGE_SIZE,
        lambda matching, bottom: _rows(matching, sort, organization_id, bottom),
        ids_first=by_words,
    )


def capped_page(
    items: QuerySet[Any],
    number: str | None,
    per_page: int,
    read: Callable[[QuerySet[Any], int], list[Any]] | None = None,
    ids_first: bool = False,
) -> ListPage:
    """One page of a list (the reports, the access log) and its count (exact up to COUNT_CAP);
    `read` gives the page starting after that many rows (default: the query's own order).

    The page asked for is the page shown, however deep, up to DEEP_ROWS rows in: reading that far
    stays within a fraction of a second. Past it, TooDeep: the list asks to refine the filter. A page
    past the end shows the last page.

    `ids_first`: finding the matches is the costly part (a search by several words groups every
    entry of the word index for each: 176,000 entries for "Manuel Ortega" in 5,000,000 reports,
    80 ms), so their ids are read once in place of the count, and a list of up to COUNT_CAP
    matches reads its page by them instead of finding the matches again."""

    def in_order(matching: QuerySet[Any], bottom: int) -> list[Any]:
        return list(matching[bottom : bottom + per_page])

    read = read or in_order
    paginator = CappedPaginator(items, per_page, ids_first)
    wanted = page_number(number)
    if not paginator.capped:
        wanted = min(wanted, paginator.num_pages)
    bottom = (wanted - 1) * per_page
    if bottom >= DEEP_ROWS:
        raise TooDeep(wanted)
    if not paginator.capped and (paginator.count <= FEW or paginator.ids is not None):
        if not paginator.count:
            return ListPage([], 1, paginator)
        # Few matches, counted exactly just now: the page reads those rows by id. Left to plan
        # the filter with its sort and limit, PostgreSQL may expect a rare word's matches to be
        # common, walk the newest reports for the first 50, and read every report of the
        # organization to find none (a word nobody wrote in 1,000,000 reports: 1.1 s).
        ids = paginator.ids if paginator.ids is not None else items.order_by().values_list("pk", flat=True)[:FEW]
        items = _only(items, list(ids))
    rows = read(items, bottom)
    if not rows and wanted > 1:
        # Past the end of a list longer than the cap: count up to here to find its last page.
        total = int(items.order_by()[:bottom].count())
        wanted = max(1, -(-total // per_page))
        rows = read(items, (wanted - 1) * per_page)
    return ListPage(rows, wanted, paginator)


def _only(items: QuerySet[Any], ids: list[Any]) -> QuerySet[Any]:
    """The rows of `ids` in the list's order, with what it selects along: the filter that found
    them is not run again (a search's would group the word index's entries once more)."""
    again = items.model._default_manager.filter(pk__in=ids).order_by(*items.query.order_by)
    again.query.select_related = items.query.select_related
    return again


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    if user.organization is None:  # e.g. an installation superuser: no organization, no reports
        raise Http404("No reports")
    tidied = tidy_redirect(request)
    if tidied is not None:
        return tidied
    export = request.GET.get("export", "")
    if export and export not in EXPORT_FORMATS:
        return HttpResponse(
            "Unknown export format: choose csv, xlsx or referral.", status=400, content_type="text/plain"
        )
    form = ReportFilterForm(user, request.GET)
    title = "Reports" if user.is_supervisor else "My reports"
    if not form.is_valid():
        if export:
            return HttpResponse(
                "The filter has errors; fix them on the list first.", status=400, content_type="text/plain"
            )
        return render(request, "reports/list.html", {"form": form, "page": None, "title": title}, status=400)
    report_filter = form.result()
    reports = report_filter.apply(visible_reports(user), user.organization.zone)
    if export:
        total = reports.count()
        if export == ExportRecord.Format.XLSX and total > exports.XLSX_MAX_ROWS:
            message = f"{total:,} reports are more than a spreadsheet holds: export CSV, or narrow the filter."
            return HttpResponse(message, status=400, content_type="text/plain")
        plan = exports.ExportPlan(user.organization, report_filter.form)
        if export == ExportRecord.Format.REFERRALS and not referral_exports.has_referrals(plan):
            message = "These reports have no referrals field: there are no referrals to export."
            return HttpResponse(message, status=400, content_type="text/plain")
        record = exports.start_record(user.organization, export, report_filter, user=user)
        if export == ExportRecord.Format.REFERRALS:
            return referral_exports.csv_response(plan, reports, record)
        if export == ExportRecord.Format.CSV:
            return exports.csv_response(plan, reports, record, total)
        return exports.xlsx_response(plan, reports, record)
    try:
        page = list_page(
            reports.select_related("form", "agent"),
            request.GET.get("page"),
            report_filter.sort,
            user.organization.pk,
            by_words=report_filter.by_words,
        )
    except TooDeep as deep:
        context = {"form": form, "page": None, "title": title, "too_deep": deep.number, "deep_rows": f"{DEEP_ROWS:,}"}
        return render(request, "reports/list.html", context)
    type_labels = call_type_labels(user.organization)
    page.object_list = list(page.object_list)
    region = user.organization.phone_region
    for report in page.object_list:
        report.call_type_label = type_labels.get(report.call_type, report.call_type)  # type: ignore[attr-defined]
        report.phone_shown = shown_number(report.phone_e164, region, report.phone_raw)  # type: ignore[attr-defined]
    query = without_empty(request.GET)
    query.pop("page", None)
    query.pop("export", None)
    if report_filter.sort != DEFAULT_SORT:
        query["sort"] = report_filter.sort
    return render(
        request,
        "reports/list.html",
        {
            "form": form,
            "page": page,
            "title": title,
            "query": query.urlencode(),
            "sort_links": _sort_links(query, report_filter.sort),
            "count_cap": f"{COUNT_CAP:,}",
            "filtered": any(key in request.GET for key in form.fields if request.GET.get(key) and key != "sort"),
            # The organization's forms (any revision) have a referrals field: offer their CSV too.
            "referral_export": any(item.type == FieldType.REFERRALS for item in form.report_fields.values()),
        },
    )


def _sort_links(query: QueryDict, current: str) -> list[tuple[str, str, str]]:
    """(label, link, arrow) per sortable column: a click sorts by it, a second click reverses."""
    links = []
    for key, label in SORTABLE:
        changed = query.copy()
        changed["sort"] = f"-{key}" if current == key else key
        if changed["sort"] == DEFAULT_SORT:
            del changed["sort"]
        arrow = "↑" if current == key else "↓" if current == f"-{key}" else ""
        links.append((label, reverse("reports-list") + ("?" + changed.urlencode() if changed else ""), arrow))
    return links
