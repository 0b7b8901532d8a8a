"""The supervisors' dashboards: figures against known data, filters, who may see them."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from tests.cast import Cast, make_form
from tests.reportdata import Known, make_known

RANGE = "?from=2026-03-01&to=2026-03-10"


@pytest.fixture
def known(cast: Cast) -> Known:
    return make_known(cast)


def charts(client: Client, query: str = RANGE) -> dict[str, dict[str, int]]:
    response = client.get("/dashboards/" + query)
    assert response.status_code == 200
    body = response.content.decode()
    match = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', body, re.S)
    assert match, "the page carries the charts' data"
    data: list[dict[str, Any]] = json.loads(match.group(1))
    return {chart["id"]: dict(zip(chart["labels"], chart["values"], strict=True)) for chart in data}


def test_it_counts_every_call_of_the_range_by_outcome(supervisor_client: Client, known: Known) -> None:
    found = charts(supervisor_client)
    assert found["outcome"] == {"Submitted": 3, "Closed": 1, "Draft": 1, "Abandoned": 1}
    # Drafts, closed and abandoned calls the phone system said ended (r3 closed, r4 draft, r6 abandoned).
    assert found["hangups"] == {"cancel": 2, "normalClearing": 1}
    body = supervisor_client.get("/dashboards/" + RANGE).content.decode()
    assert '<strong id="total-calls">6</strong>' in body
    assert '<strong id="total-submitted">3</strong>' in body
    assert '<strong id="total-unsubmitted">3</strong>' in body


def test_it_counts_per_hour_and_day_in_the_organizations_zone(supervisor_client: Client, known: Known) -> None:
    found = charts(supervisor_client)
    hours = {hour: n for hour, n in found["hour"].items() if n}
    assert hours == {"08": 1, "09": 1, "10": 1, "12": 1, "14": 1, "23": 1}
    days = {day: n for day, n in found["day"].items() if n}
    assert days == {"2026-03-02": 2, "2026-03-05": 1, "2026-03-06": 1, "2026-03-07": 1, "2026-03-08": 1}
    assert len(found["day"]) == 10  # every day of the range, empty days too


def test_it_counts_per_agent_call_type_and_choice_value(supervisor_client: Client, known: Known) -> None:
    found = charts(supervisor_client)
    assert found["agent"] == {"Sam Specialist": 4, "Kim Specialist": 2}
    assert found["call_type"] == {"Call": 5, "Hang-up": 1}
    assert found["field-language"] == {"Spanish": 2, "English": 1, "French": 1, "(none)": 2}
    assert found["field-incoming_line"] == {"Main line": 1, "Youth line": 1, "(none)": 4}
    # A multi-choice report counts once for each chosen value.
    assert found["field-topics"] == {"Food": 2, "Housing": 1, "(none)": 4}


def test_it_shows_time_from_call_start_to_submit(supervisor_client: Client, known: Known) -> None:
    found = charts(supervisor_client)
    assert found["time_to_submit"] == {
        "under 5 min": 0, "5–15 min": 2, "15–60 min": 0, "1–4 h": 1, "4–24 h": 0, "over a day": 0,
    }  # fmt: skip


def test_the_date_range_and_form_apply_to_every_chart(cast: Cast, supervisor_client: Client, known: Known) -> None:
    found = charts(supervisor_client, "?from=2026-03-02&to=2026-03-02")
    assert found["outcome"] == {"Submitted": 2}
    assert found["agent"] == {"Sam Specialist": 1, "Kim Specialist": 1}
    assert found["field-language"] == {"English": 1, "Spanish": 1}
    assert sum(found["hangups"].values()) == 0
    assert sum(found["time_to_submit"].values()) == 2
    assert list(found["day"]) == ["2026-03-02"]
    assert sum(charts(supervisor_client, f"{RANGE}&form={cast.form_a.public_id}")["outcome"].values()) == 6
    quiet = make_form(cast.org_a, "7770001", {"fields": [{"key": "notes", "label": "Notes", "type": "text"}]})
    other = charts(supervisor_client, f"{RANGE}&form={quiet.public_id}")
    assert all(sum(chart.values()) == 0 for chart in other.values())
    assert "field-language" not in other  # only the chosen form's choice fields
    # Another organization's form is not a choice here.
    assert supervisor_client.get(f"/dashboards/{RANGE}&form={cast.form_b.public_id}").status_code == 400


def test_it_shows_the_last_30_days_by_default(supervisor_client: Client, known: Known) -> None:
    found = charts(supervisor_client, "")
    assert len(found["day"]) == 30


def test_nothing_crosses_organizations(cast: Cast, known: Known) -> None:
    client = Client()
    client.force_login(cast.admin)
    assert sum(charts(client)["outcome"].values()) == 6  # not 7: org B's report is not counted


def test_it_draws_charts_from_scripts_served_by_the_app(supervisor_client: Client, known: Known) -> None:
    body = supervisor_client.get("/dashboards/" + RANGE).content.decode()
    assert '<script src="/static/calldesk/charts.js">' in body
    assert '<script src="/static/calldesk/dashboard.js">' in body
    assert "http" not in "".join(re.findall(r'<script src="([^"]+)"', body))


@pytest.mark.parametrize(
    "query", ["?from=2026-03-10&to=2026-03-01", "?from=someday", "?form=nope", "?from=2020-01-01&to=2026-01-01"]
)
def test_bad_filters_get_a_clear_error(supervisor_client: Client, known: Known, query: str) -> None:
    response = supervisor_client.get("/dashboards/" + query)
    assert response.status_code == 400
    assert b"field-error" in response.content


def test_specialists_and_anonymous_people_do_not_see_dashboards(specialist_client: Client, client: Client) -> None:
    assert specialist_client.get("/dashboards/").status_code == 404
    assert client.get("/dashboards/").status_code == 302


def test_only_get_is_allowed(supervisor_client: Client) -> None:
    assert supervisor_client.post("/dashboards/").status_code == 405


def test_supervisors_have_a_link_to_the_dashboards(supervisor_client: Client, specialist_client: Client) -> None:
    assert b'href="/dashboards/"' in supervisor_client.get("/reports/").content
    assert b'href="/dashboards/"' not in specialist_client.get("/reports/").content


def test_it_lists_recent_exports_without_the_callers_number(supervisor_client: Client, known: Known) -> None:
    export = supervisor_client.get("/reports/?phone=999-123-4567&f_language=English&export=csv")
    b"".join(export.streaming_content)  # type: ignore[attr-defined]
    body = supervisor_client.get("/dashboards/" + RANGE).content.decode()
    exports = body[body.index('id="exports"') :]
    assert "Sue Supervisor" in exports
    assert "a phone number; Language: English" in exports
    assert "1999" not in exports and "999-123" not in exports
    assert "Callers' personal data is kept until" in exports


def test_recent_exports_name_the_agent_and_form_in_words(cast: Cast, supervisor_client: Client, known: Known) -> None:
    agent, form = cast.specialist.public_id, cast.form_a.public_id
    export = supervisor_client.get(f"/reports/?agent={agent}&form={form}&status=any&export=csv")
    b"".join(export.streaming_content)  # type: ignore[attr-defined]
    exports = supervisor_client.get("/dashboards/" + RANGE).content.decode()
    exports = exports[exports.index('id="exports"') :]
    exports = exports[: exports.index("</section>")]
    expected = (
        f"agent {cast.specialist.display_name}; form {cast.form_a.name} ({cast.form_a.report_ver}); status any status"
    )
    assert expected in exports
    assert str(agent) not in exports and str(form) not in exports and "{" not in exports
    admin = Client()
    admin.force_login(cast.admin)
    log = admin.get("/audit/?action=report.export").content.decode()
    log = log[log.index('id="access-events"') : log.index("</table>")]
    assert expected in log and str(agent) not in log and "{&#x27;" not in log


def test_names_and_values_are_data_never_markup(cast: Cast, supervisor_client: Client, known: Known) -> None:
    cast.specialist.name = "</script><img src=x onerror=alert(1)>"
    cast.specialist.save()
    body = supervisor_client.get("/dashboards/" + RANGE).content.decode()
    assert "<img src=x" not in body
    assert "</script><img" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body  # the table under the chart
    assert "\\u003C/script\\u003E\\u003Cimg" in body  # the chart's data block


def test_many_choice_fields_are_counted_too(
    supervisor_client: Client, known: Known, monkeypatch: pytest.MonkeyPatch
) -> None:
    from calldesk.dashboards import counting

    monkeypatch.setattr(counting, "GROUPING_MAX_COLUMNS", 3)  # one query per chart, as past 31 columns
    found = charts(supervisor_client)
    assert found["outcome"] == {"Submitted": 3, "Closed": 1, "Draft": 1, "Abandoned": 1}
    assert found["field-topics"] == {"Food": 2, "Housing": 1, "(none)": 4}
    assert {day: n for day, n in found["day"].items() if n}["2026-03-02"] == 2
