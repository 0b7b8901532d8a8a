"""Dates far outside any call (year 1, year 9999) are a field error on every form that takes
one, never a 500: report filters and their exports, dashboards, the editor's saves."""

from __future__ import annotations

import pytest
from django.test import Client

from calldesk.accounts.models import Role
from calldesk.reports.models import CallReport
from tests.cast import FORM_A_DEFINITION, Cast, make_org, make_user
from tests.reporting import JSON, editor_data, open_draft

EXTREME_RANGES = ["?to=9999-12-31", "?from=0001-01-01", "?from=0001-01-01&to=9999-12-31", "?from=9999-12-31"]


@pytest.fixture
def tokyo_supervisor(db: None) -> Client:
    """Organizations east of UTC turn 0001-01-01 00:00 into a UTC instant before year 1."""
    org = make_org("tokyo", "Tokyo line", time_zone="Asia/Tokyo", region="JP")
    client = Client()
    client.force_login(make_user(org, "sora@tokyo.example", Role.SUPERVISOR))
    return client


@pytest.mark.parametrize("query", EXTREME_RANGES)
@pytest.mark.parametrize("export", ["", "&export=csv", "&export=xlsx"])
def test_the_report_list_refuses_an_out_of_range_year_with_a_field_error(
    cast: Cast, supervisor_client: Client, query: str, export: str
) -> None:
    response = supervisor_client.get("/reports/" + query + export)
    assert response.status_code == 400
    if not export:
        assert "Enter a year from 1900 to 2199." in response.content.decode()


@pytest.mark.parametrize("query", EXTREME_RANGES)
def test_the_dashboard_refuses_an_out_of_range_year_with_a_field_error(
    cast: Cast, supervisor_client: Client, query: str
) -> None:
    response = supervisor_client.get("/dashboards/" + query)
    assert response.status_code == 400
    assert "Enter a year from 1900 to 2199." in response.content.decode()


@pytest.mark.parametrize(
    "url", ["/reports/?from=0001-01-01", "/reports/?from=0001-01-01&export=csv", "/dashboards/?from=0001-01-01"]
)
def test_year_one_east_of_utc_is_a_field_error(tokyo_supervisor: Client, url: str) -> None:
    assert tokyo_supervisor.get(url).status_code == 400


def test_the_first_and_last_readable_years_still_filter(cast: Cast, supervisor_client: Client) -> None:
    assert supervisor_client.get("/reports/?from=1900-01-01&to=2199-12-31").status_code == 200
    assert supervisor_client.get("/reports/?from=1900-01-01&to=2199-12-31&export=csv").status_code == 200


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59", "0001-01-01T00:00:00", "0001-01-01T00:00"])
def test_an_autosave_with_an_out_of_range_call_start_is_a_field_error(
    cast: Cast, specialist_client: Client, value: str
) -> None:
    # SPEC §3: the draft keeps what was typed and marks it; submit refuses it.
    report = open_draft(specialist_client)
    response = specialist_client.post(
        f"/reports/{report.public_id}/save", editor_data(report, call_start=value, f_summary="kept"), **JSON
    )
    assert response.status_code == 200
    assert response.json()["marked"]["call_start"][0]["message"] == "Enter a year from 1900 to 2199."
    report.refresh_from_db()
    assert report.unchecked == {"call_start": value} and report.values["summary"] == "kept"
    submit = specialist_client.post(
        f"/reports/{report.public_id}/submit", editor_data(report, call_start=value, submit_key="s"), **JSON
    )
    assert submit.status_code == 400
    assert submit.json()["errors"]["call_start"][0]["message"] == "Enter a year from 1900 to 2199."
    # The next save with a sensible year goes through: one typo does not block the draft.
    again = specialist_client.post(
        f"/reports/{report.public_id}/save", editor_data(report, call_start="2026-03-01T10:00:00"), **JSON
    )
    assert again.status_code == 200 and again.json()["marked"] == {}


@pytest.mark.parametrize(("kind", "value"), [("datetime", "9999-12-31T23:59:59"), ("date", "0001-01-01")])
def test_an_autosave_with_an_out_of_range_custom_date_is_a_field_error(
    cast: Cast, specialist_client: Client, kind: str, value: str
) -> None:
    from calldesk.callforms.models import FormRevision

    definition = {"fields": [*FORM_A_DEFINITION["fields"], {"key": "follow_up", "label": "Follow-up", "type": kind}]}
    FormRevision.objects.create(form=cast.form_a, number=2, definition_json=definition)
    report = open_draft(specialist_client)
    assert report.revision.number == 2
    response = specialist_client.post(
        f"/reports/{report.public_id}/save", editor_data(report, f_follow_up=value), **JSON
    )
    assert response.status_code == 200
    assert response.json()["marked"]["f_follow_up"][0]["message"] == "Enter a year from 1900 to 2199."
    stored = CallReport.objects.get(pk=report.pk)
    assert stored.unchecked == {"f_follow_up": value} and "follow_up" not in stored.values
    submit = specialist_client.post(
        f"/reports/{report.public_id}/submit", editor_data(report, f_follow_up=value, f_summary="s"), **JSON
    )
    assert submit.status_code == 400
    assert submit.json()["errors"]["f_follow_up"][0]["message"] == "Enter a year from 1900 to 2199."
