"""Lists longer than their count: the page asked for (never another one in its place), a clear
"refine your filter" past what can be read quickly, and sorts by agent, form or status that
walk the indexes instead of sorting every report."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from calldesk.reports import lists
from calldesk.reports.models import CallReport, Status
from tests.cast import FORM_A_DEFINITION, Cast, make_form, make_user
from tests.reportdata import NY, make_report

LINK = re.compile(r'href="/reports/([0-9a-f-]{36})/"')


@pytest.fixture
def many(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> list[CallReport]:
    """23 reports over three agents (one without any report), two forms and three statuses, on
    pages of 3, counted up to 5."""
    monkeypatch.setattr(lists, "PAGE_SIZE", 3)
    monkeypatch.setattr(lists, "COUNT_CAP", 5)
    monkeypatch.setattr(lists, "DEEP_ROWS", 100)
    make_user(cast.org_a, "zed@lifeline.example", name="Zed Nobody")  # sorts last, no reports
    agents = [cast.specialist, cast.specialist2, cast.supervisor]
    statuses = [Status.SUBMITTED, Status.CLOSED, Status.ABANDONED]
    start = datetime(2026, 1, 1, 9, 0, tzinfo=NY)
    other_form = make_form(cast.org_a, "7770001", FORM_A_DEFINITION, "A second form")
    return [
        make_report(
            cast.form_a if i % 5 else other_form,
            agents[i % 3],
            start + timedelta(hours=i // 2),  # pairs share a call start: the id decides
            status=statuses[i % 4 % 3],
            agent=agents[(i * 7) % 3],
        )
        for i in range(23)
    ]


def page(client: Client, query: str) -> tuple[int, str, list[str]]:
    response = client.get("/reports/" + query)
    assert response.status_code == 200, response.content[:300]
    body = response.content.decode()
    shown = response.context["page"].number if response.context["page"] is not None else 0
    return shown, body, LINK.findall(body)


def expected(reports: list[CallReport], sort: str) -> list[str]:
    """The order a full sort gives: by the column (agent's name, form's name, status), newest first within."""
    key = sort.lstrip("-")
    fresh = CallReport.objects.filter(pk__in=[r.pk for r in reports]).select_related("agent", "form")

    def column(report: CallReport) -> str:
        if key == "agent":
            return report.agent.name if report.agent else "\uffff"
        return report.form.name if key == "form" else report.status

    rows = sorted(fresh, key=lambda r: (-r.call_start.timestamp(), -r.pk))  # newest first…
    rows.sort(key=column, reverse=sort.startswith("-"))  # …within each group (a stable sort)
    return [str(r.public_id) for r in rows]


@pytest.mark.parametrize("sort", ["agent", "-agent", "form", "-form", "status", "-status"])
def test_a_sort_by_a_column_pages_through_every_report_in_order(
    supervisor_client: Client, many: list[CallReport], sort: str
) -> None:
    seen: list[str] = []
    for number in range(1, 9):
        shown, _, links = page(supervisor_client, f"?sort={sort}&status=any&page={number}")
        assert shown == number
        seen += links
    assert seen == expected(many, sort)


def test_a_sort_by_agent_never_sorts_the_reports_in_the_database(
    supervisor_client: Client, many: list[CallReport]
) -> None:
    with CaptureQueriesContext(connection) as queries:
        page(supervisor_client, "?sort=agent&page=4")
    report_queries = [q["sql"] for q in queries.captured_queries if 'FROM "reports_callreport"' in q["sql"]]
    assert report_queries
    assert not any('ORDER BY "accounts_user"."name"' in sql for sql in report_queries)


def test_a_page_past_the_count_is_the_page_asked_for(supervisor_client: Client, many: list[CallReport]) -> None:
    # The count stops at 5 ("more than 5"), yet page 5 (reports 13-15) exists and is shown as
    # page 5, not as the last counted page.
    shown, body, links = page(supervisor_client, "?status=any&page=5")
    assert shown == 5 and "More than 5 reports" in body and "Page 5</span>" in body
    every = [str(r.public_id) for r in sorted(many, key=lambda r: (r.call_start, r.pk), reverse=True)]
    assert links == every[12:15]
    assert 'page=6" rel="next"' in body and 'page=4" rel="prev"' in body
    shown, _, links = page(supervisor_client, "?status=any&page=5&sort=agent")
    assert shown == 5 and links == expected(many, "agent")[12:15]


def test_past_the_end_of_an_uncounted_list_it_shows_the_last_page(
    supervisor_client: Client, many: list[CallReport]
) -> None:
    shown, _, links = page(supervisor_client, "?status=any&page=12")
    every = [str(r.public_id) for r in sorted(many, key=lambda r: (r.call_start, r.pk), reverse=True)]
    assert shown == 8 and links == every[21:]


def test_a_page_too_deep_asks_to_refine_the_filter(
    supervisor_client: Client, many: list[CallReport], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lists, "DEEP_ROWS", 15)
    response = supervisor_client.get("/reports/?status=any&page=6")  # starts at row 16 > 15
    assert response.status_code == 200
    body = response.content.decode()
    assert "Page 6 starts past the first 15 reports of this list" in body and "Refine your filter" in body
    assert LINK.findall(body) == []
    # A narrower filter reaches them.
    assert page(supervisor_client, f"?status=abandoned&agent={many[0].agent.public_id}")[0] == 1  # type: ignore[union-attr]


def test_a_specialist_pages_their_own_reports_sorted_by_form(
    cast: Cast, specialist_client: Client, many: list[CallReport]
) -> None:
    mine = [r for r in many if cast.specialist.pk in (r.author_id, r.agent_id)]
    seen: list[str] = []
    for number in range(1, -(-len(mine) // 3) + 1):
        seen += page(specialist_client, f"?sort=form&status=any&page={number}")[2]
    assert seen == expected(mine, "form")
