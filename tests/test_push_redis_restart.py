"""Redis restarted under open consoles (`shutdown nosave`: every subscription dropped, nothing kept):
calls keep being recorded while it is away, and once it is back every console receives, live or by
catching up with Last-Event-ID, every call it missed, with no server restart.

The Redis here is the test's own (tests/private_servers.py): the machine's is shared."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.cast import PASSWORD
from tests.private_servers import redis_missing
from tests.push_servers import RedisSite, redis_site
from tests.server_process import login

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(redis_missing() is not None, reason=f"no private Redis: {redis_missing()}"),
]

SPECIALIST = "sam@lifeline.example"
SUPERVISOR = "sue@lifeline.example"


class Console:
    """A console's stream as the page's EventSource reads it: reconnecting after a second whenever
    the stream ends or is refused, with the last event id it saw."""

    def __init__(self, base_url: str, email: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=10)
        login(self.client, email, PASSWORD)
        self.events: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.last = ""
        self.stopped = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.wait_for(lambda: 200 in self.statuses, "the stream did not open")

    def _run(self) -> None:
        while not self.stopped:
            try:
                headers = {"Last-Event-ID": self.last} if self.last else {}
                with self.client.stream("GET", "/console/events", headers=headers, timeout=None) as answer:
                    self.statuses.append(answer.status_code)
                    event: dict[str, Any] = {}
                    for line in answer.iter_lines():
                        if self.stopped:
                            return
                        if line.startswith("id: "):
                            event["id"] = self.last = line[4:]
                        elif line.startswith("data: "):
                            event.update(json.loads(line[6:]))
                        elif line == "" and event:
                            self.events.append(event)
                            event = {}
            except (httpx.HTTPError, RuntimeError):
                pass
            time.sleep(1)

    def calls(self) -> set[str]:
        return {str(event.get("call")) for event in self.events}

    def wait_for(self, predicate: Any, message: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"{message}; statuses {self.statuses}, events {self.events}"
            time.sleep(0.05)

    def close(self) -> None:
        self.stopped = True
        self.client.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisSite]:
    with redis_site(tmp_path_factory.mktemp("redis-restart"), "calldesk-test:push:restart") as made:
        yield made


def test_consoles_catch_up_on_every_call_once_redis_is_back(site: RedisSite) -> None:
    consoles = [Console(site.server.url, SPECIALIST), Console(site.server.url, SUPERVISOR)]
    try:
        before = site.phone.post_call("9995550201", SPECIALIST)["call"]
        for console in consoles:
            console.wait_for(lambda c=console: before in c.calls(), "the call before the restart did not arrive")

        site.redis.stop()
        during = [site.phone.post_call(f"999555030{i}", SPECIALIST)["call"] for i in range(3)]  # recorded: 201
        time.sleep(2)
        site.redis.start()
        after = site.phone.post_call("9995550401", SPECIALIST)["call"]

        for console in consoles:
            console.wait_for(
                lambda c=console: {before, *during, after} <= c.calls(),
                "a call pushed while Redis was away, or after it came back, never reached the console",
            )
            # Every status the stream answered meanwhile was a stream, or a 503 "try again".
            assert set(console.statuses) <= {200, 503}
        # And the push works live again, not only by catching up.
        later = site.phone.post_call("9995550402", SPECIALIST)["call"]
        for console in consoles:
            console.wait_for(lambda c=console: later in c.calls(), "a call after the restart did not arrive", 10)
    finally:
        for console in consoles:
            console.close()
