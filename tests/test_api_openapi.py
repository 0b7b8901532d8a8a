"""/api/openapi.json describes the whole API, and the API keeps to it: schemathesis generates
requests from the description (valid and not) and no answer is a 500 or breaks the schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.apicast import post_json, token_for
from tests.cast import Cast

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_the_description_names_every_endpoint_and_both_body_types(db: None) -> None:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths) == {
        "/api/calls",
        "/api/calls/hangup",
        "/api/calls/answer",
        "/api/calls/{call_id}",
        "/api/calls/{call_id}/hangup",
        "/api/calls/{call_id}/answer",
        "/api/reports",
        "/api/reports/export",
        "/api/reports/{report_id}",
        "/api/forms/{report_ver}",
        "/api/v1/cti/{token}",
        "/api/callers/check",
        "/api/callers/lookup",
        "/api/callers/{profile_id}",
        "/api/callers/{profile_id}/flags",
        "/api/followups",
        "/api/followups/{follow_up_id}",
        "/api/followups/{follow_up_id}/attempts",
        "/api/risk-events",
        "/api/risk-events/{risk_id}",
    }
    body = paths["/api/calls"]["post"]["requestBody"]["content"]
    assert {"application/json", "application/x-www-form-urlencoded", "multipart/form-data"} <= set(body)
    export = paths["/api/reports/export"]["get"]["responses"]["200"]["content"]
    assert set(export) == {"application/x-ndjson"}, "a report a line, not one JSON document"


# Read through the application itself (no server, no database needed for the description).
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@pytest.fixture
def connections_kept() -> Iterator[None]:
    """The test's transaction holds the database connection: the WSGI handler must not close it
    at the end of each request (Django's own test client keeps it open the same way, and
    connects the signal again after each of its requests: this fixture comes after those)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def token(cast: Cast) -> str:
    """Made once per operation: Hypothesis runs the test body many times with the same fixtures."""
    made = token_for(cast.admin)
    # A recorded call, so generated hang-ups and reads meet one now and then.
    post_json("/api/calls", {"reportVer": "9991234", "agent": "34", "callId": "1"}, made)
    return made


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_answer_is_a_500_or_breaks_the_schema(case: schemathesis.Case, token: str, connections_kept: None) -> None:
    if "token" in (case.path_parameters or {}):
        case.path_parameters["token"] = token  # the CTI path: a real token, so its events run
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
