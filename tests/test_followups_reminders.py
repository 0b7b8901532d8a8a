"""The console reminds the assignee of a follow-up that falls due: found by a query whenever the
console's stream asks, so every serving process, a restarted one, and `calldesk maintenance`
see it; no process keeps a timer."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.utils import timezone

from calldesk.followups import services
from calldesk.followups.reminders import due_for_console
from calldesk.push.events import Viewer
from calldesk.push.reminders import Found, Sent, remind
from calldesk.reports.models import CallReport
from tests.cast import PASSWORD, Cast
from tests.push_servers import Serve, environment, make_cast, run_cli
from tests.server_process import login, scratch_database


def _report(cast: Cast) -> CallReport:
    from tests.reportdata import make_report

    return make_report(cast.form_a, cast.specialist, timezone.now() - timedelta(days=1))


def test_the_console_is_told_of_its_own_and_the_pools_due_follow_ups_and_when_the_next_falls_due(
    cast: Cast,
) -> None:
    report = _report(cast)
    now = timezone.now()

    def make(due: timedelta, assignee: Any) -> str:
        made = services.schedule_follow_up(report, cast.specialist, due_at=now + due, assignee=assignee, method="call")
        return str(made.public_id)

    mine = make(-timedelta(hours=1), cast.specialist)
    pool = make(-timedelta(minutes=1), None)
    later = now + timedelta(minutes=30)
    make(timedelta(minutes=30), cast.specialist)
    make(-timedelta(hours=2), cast.specialist2)
    closed = services.schedule_follow_up(report, None, due_at=now, assignee=cast.specialist, method="text")
    services.close_follow_ups([closed], cast.supervisor)

    found = due_for_console(Viewer.of(cast.specialist), now)
    assert [item["id"] for item in found.data["due"]] == [mine, pool]
    assert [item["pool"] for item in found.data["due"]] == [False, True]
    assert found.data["due"][0]["url"] == f"/followups/{mine}/" and not found.empty
    assert found.wake_at == later
    assert found.data["due"][0]["due"] == (now - timedelta(hours=1)).astimezone(cast.org_a.zone).strftime(
        "%Y-%m-%d %H:%M"
    )
    # Nothing of the caller travels: when, how, the form's name, where to go.
    assert set(found.data["due"][0]) == {"id", "dueAt", "due", "method", "form", "pool", "url"}
    # Another organization's console is told nothing.
    other = due_for_console(Viewer.of(cast.specialist_b), now)
    assert other.empty and other.data["due"] == [] and other.wake_at is None


def test_a_stream_sends_each_state_once_and_an_empty_one_only_after_something(cast: Cast) -> None:
    sent = Sent()
    quiet = Found({"followups": (b"event: followups\ndata: {}\n\n", True)}, None)
    assert sent.news(quiet) == []
    busy = Found({"followups": (b"event: followups\ndata: {1}\n\n", False)}, None)
    assert sent.news(busy) == [b"event: followups\ndata: {1}\n\n"]
    assert sent.news(busy) == []
    assert sent.news(quiet) == [b"event: followups\ndata: {}\n\n"]
    # The registered source answers through the registry (the app registers it when it loads).
    assert "followups" in remind(Viewer.of(cast.specialist)).messages


# --- across real processes ---------------------------------------------------------------------

SCHEDULE = (
    "from datetime import timedelta; from django.utils import timezone; "
    "from calldesk.accounts.models import User; from calldesk.followups.services import schedule_follow_up; "
    "from tests.reportdata import make_report; from calldesk.callforms.models import CallForm; "
    "sam = User.objects.get(email='sam@lifeline.example'); kim = User.objects.get(email='kim@lifeline.example'); "
    "report = make_report(CallForm.objects.get(report_ver='9991234'), sam, timezone.now() - timedelta(days=1)); "
    "now = timezone.now(); "
    "ids = [str(schedule_follow_up(report, sam, due_at=now + due, assignee=who, method='call').public_id) "
    "for due, who in ((-timedelta(minutes=5), sam), (timedelta(seconds=4), sam), (-timedelta(minutes=1), kim))]; "
    "print(' '.join(ids))"
)


class Reminders:
    """A console's stream read in a thread: the `followups` events it received."""

    def __init__(self, url: str, email: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=10)
        login(self.client, email, PASSWORD)
        self.received: list[dict[str, Any]] = []
        self.opened = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        assert self.opened.wait(20), "the stream did not answer"

    def _read(self) -> None:
        try:
            with self.client.stream("GET", "/console/events", timeout=None) as answer:
                self.opened.set()
                kind = ""
                for line in answer.iter_lines():
                    if line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: ") and kind == "followups":
                        self.received.append(json.loads(line[6:]))
                    elif line == "":
                        kind = ""
        except httpx.HTTPError:
            self.opened.set()

    def wait_for(self, wanted: Callable[[list[str]], bool], timeout: float = 20) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            last = [item["id"] for item in self.received[-1]["due"]] if self.received else []
            if wanted(last):
                return last
            assert time.monotonic() < deadline, f"not received within {timeout} s; got {self.received}"
            time.sleep(0.05)

    def close(self) -> None:
        self.client.close()


@pytest.mark.slow
def test_every_process_a_restarted_one_and_maintenance_see_a_due_follow_up(tmp_path: Path) -> None:
    with scratch_database() as database_url:
        env = environment(database_url, None)
        run_cli(env, "migrate", "-v0")
        make_cast(env)
        servers = [Serve(env, tmp_path / "a.log", workers=1), Serve(env, tmp_path / "b.log", workers=1)]
        readers: list[Reminders] = []
        try:
            for server in servers:
                server.start()
            overdue, soon, kims = run_cli(env, "shell", "-c", SCHEDULE).strip().splitlines()[-1].split()
            on_a = Reminders(servers[0].url, "sam@lifeline.example")
            readers.append(on_a)
            assert on_a.wait_for(lambda due: due == [overdue]) == [overdue]  # at once; never Kim's
            # The next one falls due while the console is open: sent when it does, not 30 s later.
            assert on_a.wait_for(lambda due: due == [overdue, soon], timeout=12) == [overdue, soon]
            readers.append(Reminders(servers[1].url, "sam@lifeline.example"))
            assert readers[-1].wait_for(lambda due: len(due) == 2) == [overdue, soon]
            servers[0].stop()
            servers[0].start()
            readers.append(Reminders(servers[0].url, "sam@lifeline.example"))
            assert readers[-1].wait_for(lambda due: len(due) == 2) == [overdue, soon]
            assert kims not in {item["id"] for reader in readers for event in reader.received for item in event["due"]}
        finally:
            for reader in readers:
                reader.close()
            for server in servers:
                server.stop()
        assert "lifeline: 3 follow-ups overdue" in run_cli(env, "maintenance", "--skip-retention")
