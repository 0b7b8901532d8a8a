"""The supervisors' dashboard counts what phone systems reported through the API and Zammad's
CTI: hang-ups among calls without a report, by cause, and calls that never got a draft."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from tests.apicast import other_org_token, post_json, token_for
from tests.cast import Cast
from tests.test_api_cti import NEW_CALL, zammad


@pytest.fixture
def token(cast: Cast) -> str:
    return token_for(cast.admin)


def board(client: Client, query: str = "") -> tuple[dict[str, dict[str, int]], str]:
    response = client.get("/dashboards/" + query)
    assert response.status_code == 200
    body = response.content.decode()
    match = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', body, re.S)
    assert match
    data: list[dict[str, Any]] = json.loads(match.group(1))
    return {chart["id"]: dict(zip(chart["labels"], chart["values"], strict=True)) for chart in data}, body


def test_a_zammad_session_the_caller_abandoned_counts_as_a_hang_up_without_a_report(
    cast: Cast, token: str, supervisor_client: Client
) -> None:
    zammad(token, NEW_CALL)
    zammad(
        token,
        {
            "event": "hangup",
            "from": NEW_CALL["from"],
            "to": NEW_CALL["to"],
            "direction": "in",
            "callId": NEW_CALL["callId"],
            "cause": "cancel",
        },
    )
    charts, body = board(supervisor_client)
    assert charts["hangups"] == {"cancel": 1}
    assert charts["outcome"] == {"No draft (unassigned)": 1}
    assert charts["agent"] == {"(no agent)": 1}
    assert sum(charts["day"].values()) == 1
    assert '<strong id="total-calls">1</strong>' in body
    assert '<strong id="total-unsubmitted">1</strong>' in body
    assert '<strong id="total-hangups">1</strong>' in body
    assert '<strong id="total-unassigned">1</strong>' in body


def test_a_zammad_session_answered_then_hung_up_counts_its_draft(
    cast: Cast, token: str, supervisor_client: Client
) -> None:
    zammad(token, NEW_CALL)
    zammad(token, {"event": "answer", "callId": NEW_CALL["callId"], "direction": "in", "answeringNumber": "34"})
    zammad(token, {"event": "hangup", "callId": NEW_CALL["callId"], "direction": "in", "cause": "normalClearing"})
    charts, body = board(supervisor_client)
    assert charts["hangups"] == {"normalClearing": 1}
    assert charts["outcome"] == {"Draft": 1}
    assert charts["agent"] == {"Sam Specialist": 1}
    assert '<strong id="total-unassigned">0</strong>' in body


def test_api_hang_ups_are_counted_by_cause_and_ringing_calls_as_unassigned(
    cast: Cast, token: str, supervisor_client: Client
) -> None:
    for n, cause in enumerate(["noAnswer", "noAnswer", "busy"]):
        post_json("/api/calls", {"reportVer": "9991234", "agent": "nobody", "callId": f"c{n}"}, token)
        post_json("/api/calls/hangup", {"callId": f"c{n}", "cause": cause}, token)
    post_json("/api/calls", {"reportVer": "9991234", "callId": "still-ringing"}, token)
    post_json("/api/calls", {"reportVer": "9991234", "agent": "34", "callId": "drafted"}, token)
    charts, body = board(supervisor_client)
    assert charts["hangups"] == {"noAnswer": 2, "busy": 1}
    assert charts["outcome"] == {"No draft (unassigned)": 4, "Draft": 1}
    assert '<strong id="total-calls">5</strong>' in body
    assert '<strong id="total-unassigned">4</strong>' in body


def test_the_form_filter_and_the_organization_apply_to_calls_without_a_report(
    cast: Cast, token: str, supervisor_client: Client
) -> None:
    post_json("/api/calls", {"reportVer": "9991234", "callId": "ours"}, token)
    post_json("/api/calls", {"reportVer": "5550001", "callId": "theirs"}, other_org_token(cast))
    charts, _ = board(supervisor_client)
    assert charts["outcome"] == {"No draft (unassigned)": 1}
    other_form = cast.org_a.forms.create(report_ver="7770001", name="Other")
    charts, _ = board(supervisor_client, f"?form={other_form.public_id}")
    assert charts["outcome"] == {}
