"""`/api/followups`: list, schedule, record an attempt; scoped to the token's organization and
described in /api/openapi.json."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from calldesk.followups import services
from calldesk.followups.models import FollowUp, State
from calldesk.reports.models import CallReport, ReportChange
from tests.apicast import bearer, other_org_token, post_json, token_for
from tests.cast import Cast
from tests.reportdata import make_report


@pytest.fixture
def token(cast: Cast) -> str:
    return token_for(cast.admin)


@pytest.fixture
def report(cast: Cast) -> CallReport:
    start = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    return make_report(cast.form_a, cast.specialist, start, phone=("999-123-4567", "+19991234567"))


def get(path: str, token: str, **query: str) -> object:
    return Client().get(path, query, **bearer(token))


def test_a_phone_system_schedules_one_in_the_organizations_zone(cast: Cast, report: CallReport, token: str) -> None:
    body = {
        "report": str(report.public_id),
        "dueAt": "2027-01-05T09:00",
        "assignee": "SAM@lifeline.example",
        "method": "text",
        "reason": "Ana asked for a text",
    }
    response = post_json("/api/followups", body, token)
    assert response.status_code == 201, response.content
    found = response.json()
    assert found["dueAt"] == "2027-01-05T14:00:00Z"  # 09:00 in New York
    assert (found["assignee"], found["method"], found["state"], found["maxAttempts"]) == (
        "sam@lifeline.example",
        "text",
        "open",
        3,
    )
    assert found["reason"] == "Ana asked for a text" and found["attempts"] == []
    change = ReportChange.objects.get(report=report, action="follow_up")
    assert change.user is None and "for Sam Specialist" in change.changes["Follow-up"][1]
    assert FollowUp.objects.get().created_via == "API token “PBX”"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"dueAt": "soon"}, "dueAt"),
        ({"dueAt": "0001-01-01T09:00"}, "dueAt"),
        ({"assignee": "nobody@lifeline.example"}, "assignee"),
        ({"assignee": "bea@other.example"}, "assignee"),
        ({"method": "pigeon"}, "method"),
        ({"report": "not-a-uuid"}, "report"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_input_is_refused_with_its_field_and_nothing_is_written(
    cast: Cast, report: CallReport, token: str, change: dict[str, object], field: str
) -> None:
    body = {"report": str(report.public_id), "dueAt": "2027-01-05T09:00", **change}
    response = post_json("/api/followups", body, token)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"], response.json()
    assert FollowUp.objects.count() == 0


def test_a_nul_character_is_refused_before_anything_is_read_or_written(
    cast: Cast, report: CallReport, token: str
) -> None:
    body = {"report": str(report.public_id), "dueAt": "2027-01-05T09:00", "reason": "a\x00b"}
    response = post_json("/api/followups", body, token)
    assert response.status_code == 400 and "NUL" in response.json()["message"]
    assert FollowUp.objects.count() == 0


def test_attempts_until_unreachable_then_409(cast: Cast, report: CallReport, token: str) -> None:
    follow_up = services.schedule_follow_up(
        report, cast.specialist, due_at=timezone.now(), assignee=cast.specialist, method="call"
    )
    path = f"/api/followups/{follow_up.public_id}/attempts"
    for outcome in ("no_answer", "left_message"):
        answer = post_json(path, {"outcome": outcome}, token)
        assert answer.status_code == 201 and answer.json()["state"] == "open"
    last = post_json(path, {"outcome": "no_answer", "note": "voicemail full"}, token)
    assert last.status_code == 201
    assert last.json()["state"] == "unreachable"
    assert [a["outcome"] for a in last.json()["attempts"]] == ["no_answer", "left_message", "no_answer"]
    assert last.json()["attempts"][0]["by"] == "API token “PBX”"
    again = post_json(path, {"outcome": "reached"}, token)
    assert again.status_code == 409 and "unreachable" in again.json()["message"]
    assert post_json(path, {"outcome": "maybe"}, token).status_code == 422
    texts = [c.changes["Follow-up"][1] for c in ReportChange.objects.filter(report=report, action="follow_up")]
    assert texts[-1] == "attempt 3 of 3 by API token “PBX”: no answer; closed as unreachable"


def test_the_list_is_the_organizations_own_soonest_first_a_page_at_a_time(
    cast: Cast, report: CallReport, token: str
) -> None:
    now = timezone.now()
    made = [
        services.schedule_follow_up(report, None, due_at=now + timedelta(hours=n), assignee=None, method="call")
        for n in (3, 1, 2)
    ]
    services.close_follow_ups([made[0]], cast.supervisor)
    first = get("/api/followups", token, limit="1").json()  # type: ignore[attr-defined]
    assert [item["id"] for item in first["items"]] == [str(made[1].public_id)]
    second = get("/api/followups", token, limit="1", after=first["next"]).json()  # type: ignore[attr-defined]
    assert [item["id"] for item in second["items"]] == [str(made[2].public_id)] and second["next"] is None
    everything = get("/api/followups", token, state="any").json()  # type: ignore[attr-defined]
    assert len(everything["items"]) == 3
    assert get("/api/followups", token, assignee="pool").json()["items"][0]["assignee"] is None  # type: ignore[attr-defined]
    assert get("/api/followups", token, after="junk").status_code == 422  # type: ignore[attr-defined]
    # Another organization's token sees none of them and can change none.
    outsider = other_org_token(cast)
    assert get("/api/followups", outsider, state="any").json()["items"] == []  # type: ignore[attr-defined]
    assert get(f"/api/followups/{made[1].public_id}", outsider).status_code == 404  # type: ignore[attr-defined]
    attempt = post_json(f"/api/followups/{made[1].public_id}/attempts", {"outcome": "reached"}, outsider)
    assert attempt.status_code == 404
    other_report = {"report": str(report.public_id), "dueAt": "2027-01-05T09:00"}
    assert post_json("/api/followups", other_report, outsider).status_code == 422
    assert FollowUp.objects.filter(state=State.OPEN).count() == 2
    assert Client().get("/api/followups").status_code == 401


def test_openapi_describes_the_three_operations(cast: Cast) -> None:
    schema = Client().get("/api/openapi.json").json()
    assert {"get", "post"} <= set(schema["paths"]["/api/followups"])
    assert "post" in schema["paths"]["/api/followups/{follow_up_id}/attempts"]
    assert "get" in schema["paths"]["/api/followups/{follow_up_id}"]
