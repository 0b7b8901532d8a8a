"""The risk webhook: set by an admin (secret shown once), queued in the database, posted signed
to a real HTTP server, retried with backoff when the endpoint fails, every attempt listed."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from calldesk.risk.models import Delivery
from calldesk.risk.services import deliver_due, retry_delay
from tests.cast import Cast
from tests.reporting import JSON, open_draft


class Endpoint:
    """A dispatch system's receiver on 127.0.0.1: answers `status`, checks the signature."""

    def __init__(self) -> None:
        self.secret = ""
        self.status = 200
        self.received: list[tuple[str, dict[str, object], bool]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(endpoint.secret.encode(), body, hashlib.sha256).hexdigest()
                valid = hmac.compare_digest(expected, self.headers.get("X-Calldesk-Signature", ""))
                endpoint.received.append((self.headers["X-Calldesk-Event"], json.loads(body), valid))
                self.send_response(endpoint.status if valid else 401)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    found = Endpoint()
    yield found
    found.server.shutdown()
    found.server.server_close()


def set_hook(cast: Cast, url: str) -> tuple[Client, str]:
    admin = Client()
    admin.force_login(cast.admin)
    page = admin.post("/configure/risk-webhook/", {"url": url}).content.decode()
    secret = re.search(r"(whsec_[\w-]+)", page)
    assert secret is not None, page
    assert secret.group(1) not in admin.get("/configure/risk-webhook/").content.decode()  # shown once
    return admin, secret.group(1)


def test_risk_events_are_posted_signed_from_the_queue(
    cast: Cast, endpoint: Endpoint, specialist_client: Client, supervisor_client: Client
) -> None:
    admin, endpoint.secret = set_hook(cast, endpoint.url)
    report = open_draft(specialist_client)
    specialist_client.post(f"/risk/reports/{report.public_id}/raise", **JSON)
    # The specialist's request only wrote the row: nothing was posted yet.
    assert endpoint.received == [] and Delivery.objects.get().state == "pending"
    risk_id = str(report.risk_event.public_id)
    supervisor_client.post(f"/risk/{risk_id}/take")
    call_command("risk", "deliver", stdout=open("/dev/null", "w"))
    assert [(event, body["risk"], valid) for event, body, valid in endpoint.received] == [
        ("risk.raised", risk_id, True),
        ("risk.taken", risk_id, True),
    ]
    raised_body = endpoint.received[0][1]
    assert raised_body["line"] == "8886201111" and raised_body["raisedBy"] == "Sam Specialist"
    assert "1234567" not in json.dumps(raised_body)  # no caller number (999-123-4567)
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}
    assert deliver_due().posted == 0  # delivered once
    page = admin.get("/configure/risk-webhook/").content.decode()
    assert page.count('data-state="delivered"') == 2


def test_a_failing_endpoint_is_retried_with_backoff_until_it_answers(
    cast: Cast, endpoint: Endpoint, specialist_client: Client
) -> None:
    admin, endpoint.secret = set_hook(cast, endpoint.url)
    endpoint.status = 503
    report = open_draft(specialist_client)
    specialist_client.post(f"/risk/reports/{report.public_id}/raise", **JSON)
    before = timezone.now()
    assert deliver_due().failed == 1
    row = Delivery.objects.get()
    assert row.state == "pending" and row.attempts == 1 and row.last_status == 503
    assert row.next_attempt_at >= before + timedelta(seconds=29)
    assert deliver_due().posted == 0  # not due yet
    page = admin.get("/configure/risk-webhook/").content.decode()
    assert "HTTP 503" in page
    assert deliver_due(now=row.next_attempt_at).failed == 1  # the second attempt fails too
    row.refresh_from_db()
    assert row.attempts == 2 and row.next_attempt_at - timezone.now() > timedelta(seconds=50)
    endpoint.status = 204
    assert deliver_due(now=row.next_attempt_at).delivered == 1
    row.refresh_from_db()
    assert row.state == "delivered" and row.attempts == 3 and len(endpoint.received) == 3


def test_an_endpoint_that_never_answers_is_given_up_after_the_last_attempt(
    cast: Cast, specialist_client: Client
) -> None:
    set_hook(cast, "http://127.0.0.1:9/nothing-listens-here")
    report = open_draft(specialist_client)
    specialist_client.post(f"/risk/reports/{report.public_id}/raise", **JSON)
    Delivery.objects.update(attempts=7)
    deliver_due()
    row = Delivery.objects.get()
    assert row.state == "failed" and row.attempts == 8 and row.last_error


def test_the_backoff_doubles_and_stops_at_an_hour() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay(20) == timedelta(hours=1)


def test_only_admins_set_the_webhook_and_a_bad_address_is_refused(cast: Cast, supervisor_client: Client) -> None:
    assert supervisor_client.get("/configure/risk-webhook/").status_code == 404
    admin = Client()
    admin.force_login(cast.admin)
    answer = admin.post("/configure/risk-webhook/", {"url": "ftp://dispatch.example/x"})
    assert answer.status_code == 400 and "whsec_" not in answer.content.decode()
    admin.post("/configure/risk-webhook/", {"url": "https://dispatch.example/hook"})
    admin.post("/configure/risk-webhook/", {"remove": "1"})
    assert "No deliveries yet" in admin.get("/configure/risk-webhook/").content.decode()
    specialist = Client()
    specialist.force_login(cast.specialist)
    report = open_draft(specialist)
    specialist.post(f"/risk/reports/{report.public_id}/raise", **JSON)
    assert not Delivery.objects.exists()  # no webhook, no delivery
