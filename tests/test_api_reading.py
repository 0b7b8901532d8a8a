"""Reading: GET /api/reports, /api/reports/{id}, /api/calls/{id}, /api/forms/{reportVer} (SPEC §6)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client

from calldesk.api import reports as api_reports
from calldesk.configure.models import ApiToken
from calldesk.configure.tokens import revoke_token
from calldesk.reports.models import CallReport, Status
from tests.apicast import bearer, other_org_token, post_json, token_for
from tests.cast import Cast


@pytest.fixture
def token(cast: Cast) -> str:
    return token_for(cast.admin)


def _get(path: str, token: str) -> object:
    return Client().get(path, **bearer(token))


def _reports(cast: Cast, token: str, count: int) -> list[CallReport]:
    """`count` submitted reports, one a day apart, the newest first in the answer."""
    made = []
    for day in range(count):
        post_json("/api/calls", {"reportVer": "9991234", "agent": "34", "callId": f"r-{day}"}, token)
        report = CallReport.objects.order_by("-id").first()
        assert report is not None
        report.status = Status.SUBMITTED
        report.submitted_at = datetime(2026, 3, 1, tzinfo=UTC)
        report.call_start = datetime(2026, 3, 1, 15, tzinfo=UTC) + timedelta(days=day)
        report.save()
        made.append(report)
    return made


def test_reports_come_newest_first_a_page_at_a_time_until_the_cursor_runs_out(cast: Cast, token: str) -> None:
    made = _reports(cast, token, 5)
    seen: list[str] = []
    page = _get("/api/reports?limit=2", token).json()
    pages = 1
    while True:
        seen += [item["id"] for item in page["items"]]
        if page["next"] is None:
            break
        page = _get(f"/api/reports?limit=2&cursor={page['next']}", token).json()
        pages += 1
    assert pages == 3
    assert seen == [str(report.public_id) for report in reversed(made)]


def test_reports_take_the_lists_filters(cast: Cast, token: str) -> None:
    _reports(cast, token, 4)
    body = _get("/api/reports?from=2026-03-02&to=2026-03-03", token).json()
    assert [item["callStart"] for item in body["items"]] == ["2026-03-03T15:00:00Z", "2026-03-02T15:00:00Z"]
    assert _get("/api/reports?status=draft", token).json()["items"] == []
    oldest = _get("/api/reports?sort=call_start&limit=1", token).json()["items"][0]
    assert oldest["callStart"] == "2026-03-01T15:00:00Z"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=yesterday", "from"),
        ("from=2026-03-05&to=2026-03-01", "to"),
        ("status=lost", "status"),
        ("cursor=bm90LWEtY3Vyc29y", "cursor"),
        ("limit=0", "limit"),
        ("sort=agent", "sort"),
    ],
)
def test_bad_filters_get_a_message_for_the_field(cast: Cast, token: str, query: str, field: str) -> None:
    response = _get(f"/api/reports?{query}", token)
    assert response.status_code == 422 and field in response.json()["errors"]


def test_a_report_reads_back_with_its_fields_and_call(cast: Cast, token: str) -> None:
    call = post_json("/api/calls", {"reportVer": "9991234", "agent": "34", "language": "112211", "callId": "x1"}, token)
    report_id = call.json()["draft"]["id"]
    body = _get(f"/api/reports/{report_id}", token).json()
    assert body["values"] == {"language": "Spanish"} and body["status"] == "draft"
    assert body["call"] == {"id": call.json()["id"], "callId": "x1"}
    assert body["agent"]["email"] == "sam@lifeline.example" and body["reportVer"] == "9991234"


def test_another_organizations_reports_and_calls_are_not_found(cast: Cast, token: str) -> None:
    call = post_json("/api/calls", {"reportVer": "9991234", "agent": "34"}, token).json()
    theirs = other_org_token(cast)
    assert _get(f"/api/reports/{call['draft']['id']}", theirs).status_code == 404
    assert _get(f"/api/calls/{call['id']}", theirs).status_code == 404
    assert _get("/api/reports?status=any", theirs).json()["items"] == []
    assert _get("/api/reports", theirs).json()["items"] == []  # unfiltered: the prepared page
    assert _get("/api/reports/not-a-uuid", token).status_code == 404


def test_a_form_reads_with_its_fields_choices_and_call_types(cast: Cast, token: str) -> None:
    body = _get("/api/forms/9991234", token).json()
    assert body["reportVer"] == "9991234" and body["name"] == "Crisis call" and body["revision"] == 1
    language = next(item for item in body["fields"] if item["key"] == "language")
    assert language["choices"] == [{"label": "English", "code": "112210"}, {"label": "Spanish", "code": "112211"}]
    assert body["callTypes"] and all({"key", "label", "data"} <= set(kind) for kind in body["callTypes"])


def test_another_organizations_form_is_not_found_like_an_unknown_one(cast: Cast, token: str) -> None:
    theirs = _get("/api/forms/5550001", token)
    unknown = _get("/api/forms/0000000", token)
    assert theirs.status_code == unknown.status_code == 404 and theirs.json() == unknown.json()


def test_reading_endpoints_refuse_post(cast: Cast, token: str) -> None:
    assert post_json("/api/forms/9991234", {}, token).status_code == 405
    assert post_json("/api/reports", {}, token).status_code == 405


def test_a_listed_report_reads_as_the_report_read_alone(cast: Cast, token: str) -> None:
    """The list writes its pages from rows, the single report from the model: the same answer,
    personal values opened, with and without an agent and a call."""
    made = _reports(cast, token, 3)
    with_everything, without_people, microseconds = made
    with_everything.values = {"summary": 'Caller said “hello” \\ "quoted"', "language": "Spanish", "risk": True}
    with_everything.phone_raw, with_everything.phone_e164 = "(555) 123-4567", "+15551234567"
    with_everything.save()
    without_people.agent = None
    without_people.call = None
    without_people.values = {}
    without_people.save()
    microseconds.call_start = microseconds.call_start.replace(microsecond=123456)
    microseconds.updated_at = microseconds.call_start
    microseconds.save()
    CallReport.objects.filter(pk=microseconds.pk).update(updated_at=microseconds.call_start)
    listed = _get("/api/reports?status=any&limit=200", token).json()["items"]
    assert len(listed) == 3
    for item in listed:
        assert item == _get(f"/api/reports/{item['id']}", token).json()
    by_id = {item["id"]: item for item in listed}
    assert by_id[str(with_everything.public_id)]["values"]["summary"] == 'Caller said “hello” \\ "quoted"'
    assert by_id[str(with_everything.public_id)]["phone"] == "(555) 123-4567"
    assert by_id[str(without_people.public_id)]["agent"] is None
    assert by_id[str(without_people.public_id)]["call"] is None


def _walk(query: str, token: str) -> list[bytes]:
    bodies: list[bytes] = []
    cursor = ""
    while True:
        answer = _get(f"/api/reports?limit=2{query}{f'&cursor={cursor}' if cursor else ''}", token)
        assert answer.status_code == 200
        bodies.append(answer.content)
        cursor = answer.json()["next"]
        if not cursor:
            return bodies


@pytest.mark.parametrize("sort", ["", "&sort=call_start", "&sort=-call_start"])
def test_a_walk_without_filters_reads_byte_for_byte_what_the_filter_form_reads(
    cast: Cast, token: str, sort: str
) -> None:
    """Without a filter a page is read by a query prepared once per shape (calldesk.api.reports
    `_default_page`); an empty `status` goes through the filter form to the same default filter."""
    made = _reports(cast, token, 5)
    made[0].values = {"summary": 'a "quote", =1+1, \\ \u2028 é \U0001f600', "caller_name": "José", "risk": None}
    made[0].phone_raw, made[0].phone_e164 = "=cmd|' /C calc'!A0", "+15551234567"
    made[0].save()
    made[1].agent = None
    made[1].call = None
    made[1].save()
    made[2].call_start = made[3].call_start  # two calls at one time: the id orders them
    made[2].save()
    CallReport.objects.filter(pk=made[4].pk).update(status=Status.DRAFT, submitted_at=None)  # drafts: not listed
    theirs = other_org_token(cast)
    post_json("/api/calls", {"reportVer": "9991234", "callId": "theirs"}, theirs)
    CallReport.objects.filter(organization=cast.org_b).update(status=Status.SUBMITTED, submitted_at=datetime.now(UTC))
    api_reports._default_page.cache_clear()
    unfiltered = _walk(sort, token)
    assert api_reports._default_page.cache_info().currsize == 2, "the first page's shape and the others'"
    assert unfiltered == _walk(f"{sort}&status=", token)
    listed = [item["id"] for body in unfiltered for item in json.loads(body)["items"]]
    mine = CallReport.objects.filter(organization=cast.org_a).exclude(status=Status.DRAFT)
    assert sorted(listed) == sorted(str(report.public_id) for report in mine) and len(listed) == 4


@pytest.mark.parametrize("sort", ["", "&sort=call_start"])
@pytest.mark.parametrize("period", ["&from=2026-03-03", "&to=2026-03-02", "&from=2026-03-02&to=2026-03-04"])
def test_a_walk_over_a_period_reads_byte_for_byte_what_the_filter_form_reads(
    cast: Cast, token: str, sort: str, period: str
) -> None:
    """An export job walks a period (`from`, `to`): read by the prepared query of its shape,
    its days placed in the organization's zone (New York) as the filter form places them."""
    made = _reports(cast, token, 6)
    # 03:30 UTC on the 3rd is still the 2nd in New York; 04:30 UTC on the 5th is the 4th's
    # evening there: days counted in UTC would place both on the other side of each bound.
    made[1].call_start = datetime(2026, 3, 3, 3, 30, tzinfo=UTC)
    made[1].save()
    made[4].call_start = datetime(2026, 3, 5, 4, 30, 0, 250_000, tzinfo=UTC)
    made[4].save()
    api_reports._default_page.cache_clear()
    prepared = _walk(f"{sort}{period}", token)
    assert api_reports._default_page.cache_info().currsize >= 1, "read by a prepared query"
    assert prepared == _walk(f"{sort}{period}&status=", token)
    starts = {item["callStart"] for body in prepared for item in json.loads(body)["items"]}
    assert ("2026-03-03T03:30:00Z" in starts) == ("from=2026-03-03" not in period)
    assert ("2026-03-05T04:30:00.250Z" in starts) == ("to=2026-03-02" not in period)


@pytest.mark.parametrize(
    ("period", "field"), [("from=2026-02-30", "from"), ("to=0001-01-01", "to"), ("from=2026-03-05&to=2026-03-01", "to")]
)
def test_a_period_that_is_not_valid_gets_the_filter_forms_message(
    cast: Cast, token: str, period: str, field: str
) -> None:
    response = _get(f"/api/reports?{period}", token)
    assert response.status_code == 422
    assert response.json()["errors"] == _get(f"/api/reports?{period}&status=", token).json()["errors"]
    assert field in response.json()["errors"]


def test_a_cursor_past_any_id_is_read_by_the_general_query(cast: Cast, token: str) -> None:
    _reports(cast, token, 2)
    for pk in (2**63, -(2**63) - 1):
        cursor = base64.urlsafe_b64encode(f"2030-01-01T00:00:00+00:00|{pk}".encode()).decode()
        assert (
            _get(f"/api/reports?cursor={cursor}", token).content
            == _get(f"/api/reports?status=&cursor={cursor}", token).content
        )


def test_a_token_revoked_between_two_pages_is_refused_at_once(cast: Cast, token: str) -> None:
    _reports(cast, token, 3)
    first = _get("/api/reports?limit=1", token)
    assert first.status_code == 200
    revoke_token(cast.admin, ApiToken.objects.get(prefix=token[:12]))
    assert _get(f"/api/reports?limit=1&cursor={first.json()['next']}", token).status_code == 401


def test_a_page_is_written_in_utf8_and_reads_as_each_report_alone(cast: Cast, token: str) -> None:
    """A page is written by pydantic's JSON writer (`jsonload.dumps`): text leaves as UTF-8,
    not as escapes, and reads back as the report read alone (written by ninja)."""
    made = _reports(cast, token, 2)
    made[0].values = {"summary": 'José Ortiz \U0001f600 \u2028 "quoted" \\', "caller_name": "Zoë"}
    made[0].save()
    page = _get("/api/reports?limit=2", token)
    assert page.status_code == 200
    assert "José Ortiz \U0001f600".encode() in page.content
    for item in page.json()["items"]:
        assert item == _get(f"/api/reports/{item['id']}", token).json()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("period", ["", "&from=2026-03-02&to=2026-12-31"])
def test_a_walk_without_filters_or_over_a_period_is_planned_once_per_connection(
    cast: Cast, token: str, period: str
) -> None:
    """psycopg prepares the page's statement at its 5th run; PostgreSQL would still plan each run
    for its values (`plan_cache_mode = auto` tries five custom plans first, and kept planning at
    5 M reports: 2 ms of a page's 4). The walk's pages keep one generic plan instead, and the
    setting does not outlive them."""
    if not connection.settings_dict["OPTIONS"].get("server_side_binding"):
        pytest.skip("DB_SERVER_SIDE_BINDING=false: nothing is prepared")  # a pooler in transaction mode
    _reports(cast, token, 19)
    assert len(_walk(period, token)) == (10 if not period else 9)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        pages = [plans for text, *plans in cursor.fetchall() if "text_public_id" in text and "LIMIT 11" in text]
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone() == ("auto",)
    # One statement (the pages after the first), run prepared from its 5th or 6th run, never
    # planned for its values. (Planned as `auto` plans, its first five runs would be custom.)
    assert len(pages) == 1 and pages[0][0] >= 2 and pages[0][1] == 0, pages
