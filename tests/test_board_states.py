"""A call's state as the supervisors' board and the specialist's console show it (SPEC §6,
"Answers and states"): a URL pop is talking, a finished report ends its call, a call no event
ends leaves the board at the stale limit and `calldesk maintenance` records it, and a reloaded
console shows the calls that still wait for its specialist."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from calldesk.push.models import PushEvent
from calldesk.reports.models import CallReport, Status
from calldesk.reports.services import abandon_report, submit_report
from calldesk.telephony.lifecycle import answer_call, hang_up, record_call
from calldesk.telephony.models import Call
from tests.cast import Cast
from tests.server_process import ROOT

URL = "/Telephony/GetCallReport?reportVer=9991234&agent=34&dnis=8886201111&ani="


def page_calls(client: Client, script_id: str) -> dict[str, dict[str, object]]:
    page = client.get("/console/").content.decode()
    found = re.search(rf'<script id="{script_id}" type="application/json">(.*?)</script>', page, re.S)
    assert found is not None, script_id
    return {entry["caller"]: entry for entry in json.loads(found.group(1))}


def api_call(cast: Cast, ani: str, agent: str = "sam@lifeline.example") -> Call:
    pairs = [("reportVer", "9991234"), ("ani", ani), ("dnis", "8886201111"), ("agent", agent)]
    return record_call(cast.org_a, pairs).call


def pop(client: Client, ani: str) -> CallReport:
    answer = client.get(URL + ani)
    assert answer.status_code == 303
    return CallReport.objects.select_related("call").get(public_id=answer["Location"].split("/")[2])


def test_a_url_pop_is_talking_answered_by_its_specialist_and_leaves_the_board_when_submitted(
    cast: Cast, specialist_client: Client, supervisor_client: Client
) -> None:
    report = pop(specialist_client, "9995550401")
    assert report.call is not None and report.call.answered_at is not None
    shown = page_calls(supervisor_client, "console-board-calls")["9995550401"]
    assert shown["state"] == "talking"
    assert shown["agent"] == "Sam Specialist"
    assert shown["answeredAt"] and shown["unassigned"] is False
    # The supervisors' consoles were told (the board updates live).
    assert list(PushEvent.objects.filter(call=report.call).values_list("state", "agent_id", "pop_for_id")) == [
        ("talking", cast.specialist.pk, None)
    ]
    submit_report(report, cast.specialist, {}, report.version)
    call = Call.objects.get(pk=report.call.pk)
    assert call.state == "ended" and call.end_reason == "normalClearing"
    assert "9995550401" not in page_calls(supervisor_client, "console-board-calls")
    assert PushEvent.objects.filter(call=call).latest("id").state == "ended"


def test_closing_or_abandoning_a_draft_ends_its_call_but_never_a_call_that_ended_before(
    cast: Cast, specialist_client: Client, supervisor_client: Client
) -> None:
    closed = pop(specialist_client, "9995550402")
    answer = specialist_client.post(f"/reports/{closed.public_id}/close", {"close_as": "hang_up"})
    assert answer.status_code == 302
    assert Call.objects.get(report=closed).state == "ended"
    abandoned = CallReport.objects.get(call=api_call(cast, "9995550403"))
    abandon_report(abandoned, cast.supervisor)
    # Abandoned: off the board (the boards are told), its call not ended by it.
    assert Call.objects.get(report=abandoned).state == "ringing"
    assert PushEvent.objects.filter(call__report=abandoned).count() == 2
    hung_up = api_call(cast, "9995550404")
    hang_up(hung_up, "busy", timezone.now() - timedelta(minutes=5))
    before = Call.objects.get(pk=hung_up.pk)
    report = CallReport.objects.get(call=hung_up)
    submit_report(report, cast.specialist, {}, report.version)
    after = Call.objects.get(pk=hung_up.pk)
    assert (after.ended_at, after.end_reason) == (before.ended_at, "busy")
    assert page_calls(supervisor_client, "console-board-calls") == {}


def test_the_board_leaves_out_calls_whose_report_is_finished_even_if_they_never_ended(
    cast: Cast, specialist_client: Client, supervisor_client: Client
) -> None:
    # Recorded before submitting ended calls: a URL pop submitted, its call never ended.
    report = pop(specialist_client, "9995550405")
    CallReport.objects.filter(pk=report.pk).update(status=Status.SUBMITTED, submitted_at=timezone.now())
    live = pop(specialist_client, "9995550406")
    assert set(page_calls(supervisor_client, "console-board-calls")) == {"9995550406"}
    assert live.call is not None


def test_a_call_no_event_ends_leaves_the_board_after_the_limit_and_maintenance_records_it(
    cast: Cast, supervisor_client: Client, settings: object
) -> None:
    old = api_call(cast, "9995550407")
    recent = api_call(cast, "9995550408")
    answered = api_call(cast, "9995550409")
    answer_call(answered, cast.specialist)
    Call.objects.filter(pk__in=[old.pk, answered.pk]).update(received_at=timezone.now() - timedelta(hours=4, minutes=1))
    Call.objects.filter(pk=recent.pk).update(received_at=timezone.now() - timedelta(hours=3, minutes=59))
    assert set(page_calls(supervisor_client, "console-board-calls")) == {"9995550408"}
    out = StringIO()
    call_command("maintenance", "--skip-retention", stdout=out)
    assert "2 calls no event ended in 4 h recorded as ended (unknown)" in out.getvalue()
    for stale in (old, answered):
        stale.refresh_from_db()
        assert stale.state == "ended" and stale.end_reason == "unknown"
        assert stale.ended_at == stale.received_at + timedelta(hours=4)
    recent.refresh_from_db()
    assert recent.state == "ringing"
    # A hang-up that comes after changes nothing: an ended call stays as it ended.
    assert hang_up(old, "normalClearing", timezone.now()) is False
    settings.CALL_STALE_HOURS = 2  # type: ignore[attr-defined]
    assert page_calls(supervisor_client, "console-board-calls") == {}


def test_the_limit_is_read_from_the_environment_and_a_bad_value_stops_calldesk() -> None:
    def limit(value: str) -> subprocess.CompletedProcess[str]:
        code = "from django.conf import settings; import django; django.setup(); print(settings.CALL_STALE_HOURS)"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "calldesk.settings", "CALL_STALE_HOURS": value}
        return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)

    assert limit("6").stdout.strip() == "6"
    assert limit("").stdout.strip() == "4"
    for bad in ("0", "four"):
        refused = limit(bad)
        assert refused.returncode != 0 and "CALL_STALE_HOURS" in refused.stderr


def test_a_reopened_console_shows_the_calls_that_still_wait_for_its_specialist(
    cast: Cast, specialist_client: Client
) -> None:
    waiting = api_call(cast, "9995550410")
    talking = api_call(cast, "9995550411")
    answer_call(talking, cast.specialist)
    submitted = api_call(cast, "9995550412")
    ended = api_call(cast, "9995550413")
    taken = api_call(cast, "9995550414")
    api_call(cast, "9995550415", agent="kim@lifeline.example")
    stale = api_call(cast, "9995550416")
    report = CallReport.objects.get(call=submitted)
    submit_report(report, cast.specialist, {}, report.version)
    hang_up(ended, "normalClearing", timezone.now())
    answer_call(taken, cast.specialist2)  # a colleague picked up: the draft is theirs now
    Call.objects.filter(pk=stale.pk).update(received_at=timezone.now() - timedelta(hours=5))
    mine = page_calls(specialist_client, "console-mine-calls")
    assert set(mine) == {"9995550410", "9995550411"}
    assert mine["9995550410"]["editor"] == f"/reports/{CallReport.objects.get(call=waiting).public_id}/edit/"
    assert mine["9995550411"]["state"] == "talking"
    # Another specialist sees only what was pushed to them; the supervisor's own list is empty.
    kim = Client()
    kim.force_login(cast.specialist2)
    assert set(page_calls(kim, "console-mine-calls")) == {"9995550414", "9995550415"}


def test_caller_data_in_the_reopened_list_is_data_never_markup(cast: Cast, specialist_client: Client) -> None:
    api_call(cast, "<img src=x onerror=alert(1)>")
    assert "<img src=x" not in specialist_client.get("/console/").content.decode()
