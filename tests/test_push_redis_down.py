"""While Redis does not answer, recording a call (the screen pop, POST /api/calls, a hang-up) costs
what it costs with Redis up: the first publish that fails waits a short timeout, later ones skip
Redis until it answers again; the calls are in the push log meanwhile, and once Redis is back
publishing resumes and the open consoles catch up on them.

Redis here is frozen (SIGSTOP), as one that hangs or whose machine left the network: a connection
is accepted and never answered. (A stopped Redis refuses at once, which was never slow.) It is the
test's own (tests/private_servers.py): the machine's is shared."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis

from tests.private_servers import redis_missing
from tests.push_servers import PhoneSystem, RedisSite, redis_site, run_cli
from tests.test_push_redis_restart import SPECIALIST, SUPERVISOR, Console

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(redis_missing() is not None, reason=f"no private Redis: {redis_missing()}"),
]

CHANNEL = "calldesk-test:push:down"
# Generous for a shared, loaded machine: an API post costs tens of milliseconds with Redis up;
# before the fix each post waited redis-py's 5 s socket timeout while Redis hung.
FIRST_POST_SECONDS = 3.0
POST_SECONDS = 1.5


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisSite]:
    with redis_site(tmp_path_factory.mktemp("redis-down"), CHANNEL) as made:
        yield made


def timed_post(phone: PhoneSystem, ani: str) -> tuple[str, float]:
    started = time.monotonic()
    call = phone.post_call(ani, SPECIALIST)["call"]
    return call, time.monotonic() - started


def stored_events(site: RedisSite, calls: list[str]) -> int:
    script = (
        "from calldesk.push.models import PushEvent; "
        f"print(PushEvent.objects.filter(call__public_id__in={calls!r}).count())"
    )
    return int(run_cli(site.server.env, "shell", "-c", script).split()[-1])


def test_calls_recorded_while_redis_hangs_are_quick_stored_and_caught_up_once_it_answers(site: RedisSite) -> None:
    console = Console(site.server.url, SUPERVISOR)
    try:
        before = site.phone.post_call("9995550501", SPECIALIST)["call"]  # the publisher's connection is open
        console.wait_for(lambda: before in console.calls(), "the call before Redis hung did not arrive")

        site.redis.pause()
        first, first_took = timed_post(site.phone, "9995550502")
        rest = [timed_post(site.phone, f"999555051{i}") for i in range(3)]
        during = [first, *(call for call, _ in rest)]
        assert first_took < FIRST_POST_SECONDS, f"the first post while Redis hung took {first_took:.2f} s"
        took = [round(seconds, 3) for _, seconds in rest]
        assert max(took) < POST_SECONDS, f"posts while Redis hung took {took} s: Redis is not skipped"
        assert stored_events(site, during) == len(during), "a call recorded while Redis hung has no event"

        site.redis.resume()
        # Publishing resumes by itself: a call posted now is published on the channel.
        listener = redis.Redis.from_url(site.redis.url).pubsub()
        listener.subscribe(CHANNEL)
        deadline = time.monotonic() + 20
        published = False
        while not published:
            assert time.monotonic() < deadline, "nothing was published again after Redis came back"
            site.phone.post_call("9995550520", SPECIALIST)
            until = time.monotonic() + 1
            while not published and time.monotonic() < until:
                message = listener.get_message(timeout=0.2)
                published = message is not None and message["type"] == "message" and message["data"].isdigit()
        listener.close()
        # The hub's subscription never broke (Redis only hung), yet the console gets every call
        # that was not published: the publisher told every process to make its consoles catch up.
        console.wait_for(lambda: set(during) <= console.calls(), "a call recorded while Redis hung never arrived")
    finally:
        console.close()
