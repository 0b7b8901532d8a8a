"""The report list: combined filters, sorting, pages, counts, and its exports (SPEC §4).

`/reports/?from=…&status=…` shows a page; the same query with `export=csv` or
`export=xlsx` downloads every matching report. The list starts from `visible_reports`, so a
specialist sees (and exports) only their own reports through any filter.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import render
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET

from calldesk.accounts.access import current_user
from calldesk.dashboards.models import ExportRecord
from calldesk.reports import exports
from calldesk.reports.models import CallReport
from calldesk.reports.search import ReportFilterForm, call_type_labels
from calldesk.reports.services import visible_reports

PAGE_SIZE = 50
# Counting every match of a broad filter reads every matching row (a second or more across a
# million reports); past this many the list says "more than 10,000" and the export counts.
COUNT_CAP = 10_000
EXPORT_FORMATS = {choice.value for choice in ExportRecord.Format}
SORTABLE = [("call_start", "Call start"), ("form", "Form"), ("agent", "Agent"), ("status", "Status")]
# A page number past this is past the end of any list; bounding it keeps the row offset
# within what the database takes (a 64-bit integer on PostgreSQL, less on SQLite).
MAX_PAGE = 10_000_000


def page_number(raw: str | None) -> int:
    """The page asked for: 1 for anything that is not a whole number, at most MAX_PAGE."""
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit()):
        return 1
    # Compared as text first: int() of thousands of digits is refused (and slow).
    return MAX_PAGE if len(text) > len(str(MAX_PAGE)) else max(1, min(int(text), MAX_PAGE))


class CappedPaginator(Paginator):
    """Counts matches up to COUNT_CAP + 1; pages go as far as that count reaches."""

    exact = False  # set when the count came with the page (see list_page)

    @cached_property
    def count(self) -> int:
        reports = cast(QuerySet[CallReport], self.object_list)
        return int(reports.order_by()[: COUNT_CAP + 1].count())

    @property
    def capped(self) -> bool:
        return not self.exact and self.count > COUNT_CAP

    def page(self, number: Any) -> Page:
        # Past the cap the count is not the end of the list: a page is always a whole page.
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if not self.capped and top + self.orphans >= self.count:
            top = self.count
        return Page(self.object_list[bottom:top], number, self)


def list_page(reports: QuerySet[CallReport], number: str | None, sort: str) -> Page:
    """One page of the list and its count.

    Sorted by call start, the page is read from the index in that order at once and the count
    stops at the cap. Any other order sorts every match anyway, so the page's own query counts
    them as well (COUNT(*) OVER ()): exact, and without a second pass over the matches."""
    paginator = CappedPaginator(reports, PAGE_SIZE)
    wanted = page_number(number)
    if sort.lstrip("-") == "call_start":
        return paginator.get_page(wanted)
    bottom = (wanted - 1) * PAGE_SIZE
    rows = list(reports.annotate(list_total=Window(Count("id")))[bottom : bottom + PAGE_SIZE])
    if not rows:  # past the end (or nothing matches): the paginator finds the last page
        return paginator.get_page(wanted)
    paginator.exact = True
    paginator.__dict__["count"] = rows[0].list_total  # fills the cached property
    return Page(rows, wanted, paginator)


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    if user.organization is None:  # e.g. an installation superuser: no organization, no reports
        raise Http404("No reports")
    export = request.GET.get("export", "")
    if export and export not in EXPORT_FORMATS:
        return HttpResponse("Unknown export format: choose csv or xlsx.", status=400, content_type="text/plain")
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
        record = exports.start_record(user, export, report_filter)
        if export == ExportRecord.Format.CSV:
            return exports.csv_response(plan, reports, record, total)
        return exports.xlsx_response(plan, reports, record)
    page = list_page(reports.select_related("form", "agent"), request.GET.get("page"), report_filter.sort)
    type_labels = call_type_labels(user.organization)
    page.object_list = list(page.object_list)
    for report in page.object_list:
        report.call_type_label = type_labels.get(report.call_type, report.call_type)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
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
        },
    )


def _sort_links(query: QueryDict, current: str) -> list[tuple[str, str, str]]:
    """(label, link, arrow) per sortable column: a click sorts by it, a second click reverses."""
    links = []
    for key, label in SORTABLE:
        changed = query.copy()
        changed["sort"] = f"-{key}" if current == key else key
        arrow = "↑" if current == key else "↓" if current == f"-{key}" else ""
        links.append((label, "?" + changed.urlencode(), arrow))
    return links
