"""How a pushed call travels from the process that recorded it to the processes holding consoles.

One small interface, two channels:

- `DatabaseChannel` (the default): the event's row is the message. Each serving process polls the
  push log once every `POLL_SECONDS` (one indexed query per process, however many consoles it
  holds), which crosses the worker processes of one `calldesk serve` with nothing else to start.
- `RedisChannel` (when `REDIS_URL` is set): the event's id is published on a Redis channel the
  moment its transaction commits; every process on every machine subscribes once.

Either way the console's content is read from the database (events.py), so Redis never carries
caller data, and catch-up after a reconnect reads the same push log.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Protocol, TypeVar

import redis
import redis.asyncio as aioredis
from django.conf import settings
from django.db import close_old_connections

from calldesk.push import events
from calldesk.push.events import Pushed

logger = logging.getLogger(__name__)

T = TypeVar("T")
Deliver = Callable[[list[Pushed]], Awaitable[None]]

# 25 ms keeps a push well under the 100 ms target; one indexed query 40 times a second per
# process costs well under 1 % of a core (docs/serving.md).
POLL_SECONDS = 0.025
# An id that is missing while later ones are visible may belong to a transaction that has not
# committed yet (PostgreSQL hands out ids before commit); it is waited for this long, then
# taken as rolled back.
GAP_SECONDS = 5.0
PRUNE_EVERY_SECONDS = 600.0
# A publish runs inside the request that recorded the call (the screen pop, the API's post): it
# waits at most this long for Redis (redis-py's default, 5 s, would hold every pop that long while
# Redis hangs or its machine is gone). A healthy Redis answers a PUBLISH in well under a millisecond.
PUBLISH_TIMEOUT_SECONDS = 0.5
# Once a publish failed, the process skips Redis (the event is in the push log all the same) and
# asks it again this often, from a thread of its own, until it answers.
REDIS_RETRY_SECONDS = 1.0
# Published instead of an event id when events were not published (Redis was down): every
# process's listener then tells its consoles to catch up from the push log.
MISSED = b"missed"


class Channel(Protocol):
    def announce(self, event_id: int) -> None:
        """Called once the event's transaction has committed (synchronous code)."""

    async def listen(self, deliver: Deliver, ready: asyncio.Event, missed: Callable[[], None]) -> None:
        """Runs for the life of a serving process, handing every new event to `deliver`; sets
        `ready` once every event committed from then on will be delivered, and calls `missed`
        when events may have been lost on the way (the consoles then catch up from the log)."""


# The push's database reads (polls, catch-up, a console's login check) run on these threads, never
# on the pages' threads; two bound the database connections the push holds per process.
_reads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="calldesk-push")


async def read(function: Callable[..., T], *args: object) -> T:
    """Runs synchronous ORM code for the event loop."""

    def run() -> T:
        close_old_connections()  # a connection dropped by the database is replaced, not reused
        return function(*args)

    return await asyncio.get_running_loop().run_in_executor(_reads, run)


class DatabaseChannel:
    def __init__(self, poll_seconds: float = POLL_SECONDS) -> None:
        self.poll_seconds = poll_seconds
        self.low = 0  # every event up to this id has been handled
        self.seen: set[int] = set()  # handled ids above `low`
        self.gap_since: dict[int, float] = {}

    def announce(self, event_id: int) -> None:
        # Nothing to send: the committed row is what the pollers find.
        return None

    async def listen(self, deliver: Deliver, ready: asyncio.Event, missed: Callable[[], None]) -> None:
        while True:
            try:
                start, committed = await read(events.listen_start)
                break
            except Exception:  # the database is not there yet: consoles wait (and are told so)
                logger.exception("push: reading the push log failed; retrying")
                await asyncio.sleep(1)
        self.low, self.seen, self.gap_since = start, set(), {}
        self._advance(committed)  # an id missing among them may still commit: it is waited for
        ready.set()
        last_prune = 0.0
        while True:
            try:
                found = await read(events.events_after, self.low)
                new = [event for event in found if event.id not in self.seen]
                if new:
                    await deliver(new)
                self._advance([event.id for event in found])
                if time.monotonic() - last_prune > PRUNE_EVERY_SECONDS:
                    last_prune = time.monotonic()
                    await read(events.prune)
            except Exception:  # the database is away for a moment: keep polling, never die
                logger.exception("push: reading the push log failed; retrying")
                await asyncio.sleep(1)
            await asyncio.sleep(self.poll_seconds)

    def _advance(self, ids: list[int]) -> None:
        self.seen.update(ids)
        now = time.monotonic()
        while self.seen:
            following = self.low + 1
            if following in self.seen:
                self.seen.discard(following)
                self.low = following
                self.gap_since.pop(following, None)
            elif now - self.gap_since.setdefault(following, now) > GAP_SECONDS:
                self.gap_since.pop(following)
                self.low = following
            else:
                break


class RedisChannel:
    def __init__(self, url: str, name: str) -> None:
        self.url = url
        self.name = name
        # While Redis is known to be down, publishing is skipped: a pop costs nothing more than
        # with Redis up, instead of waiting for a connection that fails (`_wait_for_redis`).
        self.skipping = False
        self.recovering = False
        self.lock = threading.Lock()

    def announce(self, event_id: int) -> None:
        if self.skipping:
            return  # recorded in the push log; the consoles catch up once Redis is back
        try:
            _sync_redis(self.url).publish(self.name, str(event_id))
        except Exception:
            with self.lock:
                self.skipping = True
                if self.recovering:
                    return
                self.recovering = True
            # Once per outage, not once per call; no caller data in the traceback.
            logger.exception("push: publishing to Redis failed; calls are recorded and published again once it answers")
            threading.Thread(target=self._wait_for_redis, name="calldesk-push-redis", daemon=True).start()

    def _wait_for_redis(self) -> None:
        """Asks Redis again every REDIS_RETRY_SECONDS; once it answers, publishing resumes and every
        process's consoles are told to catch up on what was skipped (a listener whose subscription
        stayed open, as with a Redis that hung, would not know otherwise)."""
        while True:
            time.sleep(REDIS_RETRY_SECONDS)
            try:
                _sync_redis(self.url).ping()  # asked here, so that no pop waits on a Redis still down
                # Resumed before MISSED is sent: an event skipped before this line was committed
                # before the consoles' catch-up that MISSED starts; every later one is published.
                self.skipping = False
                _sync_redis(self.url).publish(self.name, MISSED)
            except Exception:
                self.skipping = True
                continue
            with self.lock:
                if not self.skipping:  # no publish failed meanwhile
                    self.recovering = False
                    logger.warning("push: Redis answers again; consoles catch up on the calls recorded meanwhile")
                    return

    async def listen(self, deliver: Deliver, ready: asyncio.Event, missed: Callable[[], None]) -> None:
        broken = False
        while True:
            client = aioredis.from_url(self.url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self.name)
                    async for message in pubsub.listen():
                        if message["type"] == "subscribe":
                            ready.set()  # Redis confirmed: every later publish reaches us
                            if broken:  # what was published while we were away never came
                                missed()
                                broken = False
                        if message["type"] != "message":
                            continue
                        if message["data"] == MISSED:  # a process could not publish for a while
                            missed()
                            continue
                        ids = [int(message["data"])]
                        found = await read(events.events_by_id, ids)
                        if found:
                            await deliver(found)
            except Exception:
                broken = True
                logger.exception("push: the Redis subscription failed; resubscribing")
                await asyncio.sleep(1)
            finally:
                await client.aclose()


@cache
def _sync_redis(url: str) -> redis.Redis:
    """One connection pool per process for publishing (redis-py's pool is thread-safe)."""
    return redis.Redis.from_url(
        url, socket_timeout=PUBLISH_TIMEOUT_SECONDS, socket_connect_timeout=PUBLISH_TIMEOUT_SECONDS
    )


@cache
def get_channel() -> Channel:
    if settings.REDIS_URL:
        return RedisChannel(settings.REDIS_URL, settings.PUSH_REDIS_CHANNEL)
    return DatabaseChannel()
