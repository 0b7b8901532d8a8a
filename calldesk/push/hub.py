"""One serving process's consoles: the channel's events handed to the consoles that may see them.

One hub per process (the process's event loop): it starts the channel's listener when the first
console connects, so a process serving pages only never polls or subscribes.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

from calldesk.push.channel import get_channel
from calldesk.push.events import Pushed, Viewer

# A console this far behind is disconnected; its browser reconnects and catches up from the log.
QUEUE_LIMIT = 200
READY_SECONDS = 10.0


class Subscription:
    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        self.queue: asyncio.Queue[Pushed] = asyncio.Queue(QUEUE_LIMIT)
        self.behind = asyncio.Event()


class Hub:
    def __init__(self) -> None:
        self.by_organization: dict[int, set[Subscription]] = defaultdict(set)
        self.listener: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    async def subscribe(self, viewer: Viewer) -> Subscription:
        """Returns once the channel is listening: every event committed after this returns is
        delivered to the subscription (earlier ones are the caller's catch-up)."""
        if self.listener is None or self.listener.done():
            self.ready = asyncio.Event()
            self.listener = asyncio.get_running_loop().create_task(
                get_channel().listen(self.deliver, self.ready, self.missed)
            )
        # Raises TimeoutError while the channel cannot listen (database or Redis away); the stream
        # then answers 503 and the console tries again.
        await asyncio.wait_for(self.ready.wait(), READY_SECONDS)
        subscription = Subscription(viewer)
        self.by_organization[viewer.organization_id].add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        consoles = self.by_organization[subscription.viewer.organization_id]
        consoles.discard(subscription)
        if not consoles:
            del self.by_organization[subscription.viewer.organization_id]

    def count(self) -> int:
        return sum(len(consoles) for consoles in self.by_organization.values())

    def missed(self) -> None:
        """Events may have been lost: every console here reconnects and catches up from the log."""
        for consoles in self.by_organization.values():
            for subscription in consoles:
                subscription.behind.set()

    async def deliver(self, events: list[Pushed]) -> None:
        for event in events:
            for subscription in list(self.by_organization.get(event.organization_id, ())):
                if not event.visible_to(subscription.viewer):
                    continue
                try:
                    subscription.queue.put_nowait(event)
                except asyncio.QueueFull:
                    subscription.behind.set()


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def hub() -> Hub:
    """The hub of the running event loop (one per serving process)."""
    loop = asyncio.get_running_loop()
    if loop not in _hubs:
        _hubs[loop] = Hub()
    return _hubs[loop]
