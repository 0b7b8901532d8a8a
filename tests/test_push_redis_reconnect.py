"""The hub's Redis subscription dropped while Redis stays up (a network blip, a proxy's idle
timeout, `CLIENT KILL`): what was published in between never arrives, so the channel must say so
(`missed`), which makes every console catch up from the push log, and subscribe again.

redis-py 8.2 reports the drop, and the channel subscribes anew and calls `missed`: this passes on
the code as it is. It stands guard over an upgrade: a redis-py that reconnected and resubscribed
by itself, without raising, would drop events unseen, and fail here.

A Redis of the test's own (tests/private_servers.py): the machine's is shared."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis

from calldesk.push.channel import RedisChannel
from tests.private_servers import PrivateRedis, redis_missing

pytestmark = pytest.mark.skipif(redis_missing() is not None, reason=f"no private Redis: {redis_missing()}")

CHANNEL = "calldesk-test:push:reconnect"


async def _listen_through_a_dropped_connection(url: str) -> tuple[int, int, int]:
    """(times `missed` was called before the drop, after it; subscribers to the channel then)."""
    channel = RedisChannel(url, CHANNEL)
    ready = asyncio.Event()
    missed: list[float] = []
    listening = asyncio.create_task(channel.listen(_deliver, ready, lambda: missed.append(time.monotonic())))
    try:
        await asyncio.wait_for(ready.wait(), 10)
        before = len(missed)
        killed = await asyncio.to_thread(redis.Redis.from_url(url).client_kill_filter, _type="pubsub")
        assert killed == 1, "the hub's subscription is the one pubsub client"
        deadline = time.monotonic() + 10
        while len(missed) == before and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return before, len(missed), await asyncio.to_thread(subscribers, url)
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)


async def _deliver(events: object) -> None:
    raise AssertionError("nothing is published in this test")


def test_a_subscription_redis_py_restores_by_itself_still_makes_consoles_catch_up() -> None:
    server = PrivateRedis()
    server.start()
    try:
        before, after, subscribed = asyncio.run(_listen_through_a_dropped_connection(server.url))
    finally:
        server.destroy()
    assert before == 0, "a first subscription has nothing to catch up on"
    assert after == 1, "the subscription was dropped and the consoles were never told to catch up"
    assert subscribed == 1, "the hub did not subscribe again"


def subscribers(url: str) -> int:
    return int(dict(redis.Redis.from_url(url).pubsub_numsub(CHANNEL))[CHANNEL.encode()])
