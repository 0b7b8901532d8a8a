"""The report list: combined filters against known data, sorting, pages, counts, isolation."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.test import Client

from calldesk.reports.models import CallReport
from tests.cast import Cast
from tests.reportdata import NY, Known, make_known, make_report

LINK = re.compile(r'href="/reports/([0-9a-f-]{36})/"')


@pytest.fixture
def known(cast: Cast) -> Known:
    return make_known(cast)


def listed(client: Client, query: str = "") -> list[str]:
    response = client.get("/reports/" + query)
    assert response.status_code == 200, response.content[:500]
    return LINK.findall(response.content.decode())


def ids(*reports: CallReport) -> list[str]:
    return [str(r.public_id) for r in reports]


def test_it_lists_every_report_but_drafts_newest_first_for_a_supervisor(
    supervisor_client: Client, known: Known
) -> None:
    assert listed(supervisor_client) == ids(known.r6, known.r5, known.r3, known.r2, known.r1)


def test_it_reads_the_date_range_in_the_organizations_zone(supervisor_client: Client, known: Known) -> None:
    # r2 started 23:30 in New York on 2 March, which is 3 March in UTC.
    assert listed(supervisor_client, "?from=2026-03-02&to=2026-03-02") == ids(known.r2, known.r1)
    assert listed(supervisor_client, "?from=2026-03-03&to=2026-03-04") == []
    assert listed(supervisor_client, "?from=2026-03-07") == ids(known.r6, known.r5)
    assert listed(supervisor_client, "?to=2026-03-05") == ids(known.r3, known.r2, known.r1)


def test_it_filters_by_agent_form_call_type_and_status(cast: Cast, supervisor_client: Client, known: Known) -> None:
    assert listed(supervisor_client, f"?agent={cast.specialist.public_id}") == ids(
        known.r6, known.r5, known.r3, known.r1
    )
    assert listed(supervisor_client, f"?form={cast.form_a.public_id}&call_type=hang_up") == ids(known.r3)
    assert listed(supervisor_client, "?status=draft") == ids(known.r4)
    assert listed(supervisor_client, "?status=abandoned") == ids(known.r6)
    assert len(listed(supervisor_client, "?status=any")) == 6


def test_it_finds_a_phone_number_in_any_format_people_type(supervisor_client: Client, known: Known) -> None:
    for typed in ["999-123-4567", "(999) 123 4567", "+1 999 123 4567", "9991234567"]:
        assert listed(supervisor_client, f"?phone={typed.replace('+', '%2B')}") == ids(known.r2, known.r1), typed


def test_it_matches_choice_fields_by_choice_and_text_by_contains_and_personal_text_by_words(
    supervisor_client: Client, known: Known
) -> None:
    assert listed(supervisor_client, "?f_language=Spanish") == ids(known.r2)
    assert listed(supervisor_client, "?f_language=Spanish&status=any") == ids(known.r4, known.r2)
    assert listed(supervisor_client, "?f_language=French") == ids(known.r5)
    assert listed(supervisor_client, "?f_topics=Food") == ids(known.r6, known.r5)
    assert listed(supervisor_client, "?f_topics=Housing") == ids(known.r5)
    # Summary is personal, so sealed at rest: found by its words or their starts, not any part.
    assert listed(supervisor_client, "?f_summary=upset+about+rent+") == ids(known.r1)
    assert listed(supervisor_client, "?f_summary=rent") == ids(known.r1)
    assert listed(supervisor_client, "?f_summary=ABOU") == ids(known.r1)
    assert listed(supervisor_client, "?f_summary=ent") == []
    assert listed(supervisor_client, "?f_risk=no") == ids(known.r2)
    assert listed(supervisor_client, "?f_risk=yes") == ids(known.r5, known.r1)


def test_filters_combine(cast: Cast, supervisor_client: Client, known: Known) -> None:
    assert listed(supervisor_client, "?phone=9991234567&f_language=English") == ids(known.r1)
    assert listed(supervisor_client, f"?phone=9991234567&agent={cast.specialist2.public_id}") == ids(known.r2)
    assert listed(supervisor_client, "?phone=9991234567&from=2026-03-03") == []
    assert listed(supervisor_client, "?f_topics=Food&status=submitted&f_risk=yes") == ids(known.r5)


def test_it_sorts_by_the_chosen_column(supervisor_client: Client, known: Known) -> None:
    assert listed(supervisor_client, "?sort=call_start") == ids(known.r1, known.r2, known.r3, known.r5, known.r6)
    by_agent = listed(supervisor_client, "?sort=agent")
    assert by_agent.index(str(known.r2.public_id)) == 0  # Kim before Sam
    response = supervisor_client.get("/reports/?sort=nonsense")
    assert response.status_code == 400


def test_it_pages_and_keeps_the_filter_in_the_page_links(cast: Cast, supervisor_client: Client) -> None:
    start = datetime(2026, 1, 1, 9, 0, tzinfo=NY)
    for i in range(120):
        make_report(cast.form_a, cast.specialist, start + timedelta(hours=i), values={"language": "Spanish"})
    make_report(cast.form_a, cast.specialist, start, values={"language": "English"})
    response = supervisor_client.get("/reports/?f_language=Spanish")
    body = response.content.decode()
    assert "120 reports match the filter" in body
    assert "Page 1 of 3" in body
    assert 'href="/reports/?f_language=Spanish&amp;page=2"' in body
    assert len(listed(supervisor_client, "?f_language=Spanish&page=3")) == 20
    assert len(listed(supervisor_client, "?f_language=Spanish&page=99")) == 20  # past the end: the last page


def test_a_specialist_sees_only_their_own_reports_through_every_filter(
    cast: Cast, specialist_client: Client, known: Known
) -> None:
    own = ids(known.r6, known.r5, known.r3, known.r1)  # author or agent
    assert listed(specialist_client) == own
    assert listed(specialist_client, "?phone=999-123-4567") == ids(known.r1)
    assert listed(specialist_client, "?f_language=Spanish&status=any") == []
    assert listed(specialist_client, f"?agent={cast.specialist2.public_id}") == own  # no agent filter for them
    assert listed(specialist_client, "?status=draft") == []
    assert str(known.r2.public_id) not in specialist_client.get("/reports/?status=any&page=2").content.decode()


def test_nothing_crosses_organizations(cast: Cast, known: Known) -> None:
    client = Client()
    client.force_login(cast.specialist_b)
    assert listed(client, "?status=any") == ids(known.rb)
    assert listed(client, "?phone=%2B19991234567") == ids(known.rb)
    # Another organization's form or agent is not a choice here: a clear error, not their reports.
    assert client.get(f"/reports/?form={cast.form_a.public_id}").status_code == 400
    supervisor = Client()
    supervisor.force_login(cast.supervisor)
    assert str(known.rb.public_id) not in listed(supervisor, "?status=any&f_summary=rent")


@pytest.mark.parametrize(
    "query",
    [
        "?phone=hello",
        "?from=yesterday",
        "?from=2026-03-05&to=2026-03-01",
        "?agent=not-a-uuid",
        "?f_language=Klingon",
        "?status=lost",
    ],
)
def test_bad_filters_get_a_clear_error_not_a_500(supervisor_client: Client, known: Known, query: str) -> None:
    response = supervisor_client.get("/reports/" + query)
    assert response.status_code == 400
    assert b"The filter has errors" in response.content
    assert LINK.findall(response.content.decode()) == []


def test_anonymous_people_are_sent_to_log_in(client: Client) -> None:
    response = client.get("/reports/?phone=9991234567")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_caller_values_are_shown_escaped(cast: Cast, supervisor_client: Client) -> None:
    make_report(cast.form_a, cast.specialist, datetime(2026, 3, 1, tzinfo=NY), phone=("<b>1</b>", ""))
    body = supervisor_client.get("/reports/").content.decode()
    assert "<b>1</b>" not in body
    assert "&lt;b&gt;1&lt;/b&gt;" in body


def test_a_broad_filter_is_counted_up_to_a_cap(
    supervisor_client: Client, known: Known, monkeypatch: pytest.MonkeyPatch
) -> None:
    from calldesk.reports import lists

    monkeypatch.setattr(lists, "COUNT_CAP", 3)
    body = supervisor_client.get("/reports/").content.decode()
    assert "More than 3 reports" in body
    assert "Export all of them" in body
    assert "4 reports" not in body
    assert len(LINK.findall(body)) == 5  # the page itself is whole
    assert "2 reports match the filter" in supervisor_client.get("/reports/?phone=9991234567").content.decode()


def test_a_user_without_an_organization_gets_a_404_not_a_500(db: None) -> None:
    from tests.cast import make_user

    client = Client()
    client.force_login(make_user(None, "root@example.org"))
    assert client.get("/reports/").status_code == 404
    assert client.get("/reports/?export=csv").status_code == 404


def test_pages_sorted_by_another_column_count_exactly_and_page_on(cast: Cast, supervisor_client: Client) -> None:
    start = datetime(2026, 1, 1, 9, 0, tzinfo=NY)
    for i in range(60):
        make_report(cast.form_a, cast.specialist if i % 2 else cast.specialist2, start + timedelta(hours=i))
    first = supervisor_client.get("/reports/?sort=agent").content.decode()
    assert "60 reports" in first and "Page 1 of 2" in first
    assert 'href="/reports/?sort=agent&amp;page=2"' in first
    second = listed(supervisor_client, "?sort=agent&page=2")
    assert len(second) == 10
    every = LINK.findall(first) + second
    assert len(set(every)) == 60  # no report twice, none left out
    agents = CallReport.objects.filter(public_id__in=every).select_related("agent")
    name_of = {str(report.public_id): report.agent.name for report in agents if report.agent}
    shown = [name_of[public_id] for public_id in every]
    assert shown == sorted(shown) and shown[0] == "Kim Specialist"
    assert len(listed(supervisor_client, "?sort=agent&page=9")) == 10  # past the end: the last page
    assert listed(supervisor_client, "?sort=agent&f_summary=nothing-like-this") == []
