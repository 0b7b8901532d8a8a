"""Who sees a pushed call, and what their console is sent: one place for both.

Synchronous ORM code; the stream and the channels (async) call it through `channel.read`.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from calldesk.accounts.models import User
from calldesk.lib.urls import uuid_url
from calldesk.push.models import PushEvent
from calldesk.reports.models import CallReport
from calldesk.telephony.models import Call
from calldesk.telephony.reading import Params, read_params

# Catch-up reaches back this far; older events are deleted (they only ever served catch-up).
KEEP_EVENTS = timedelta(hours=24)
# How long after writing its event a transaction may take to commit and still reach every console.
# On PostgreSQL an event's id comes from a sequence when its row is inserted, not when its
# transaction commits: id N+1 can be read (live or by a catch-up) while N is still uncommitted, and
# a console that then reconnects with `Last-Event-ID: N+1` would never get N. So a catch-up after
# event L re-reads the events written up to this long before L was (`catch_up_start`), and the
# console skips the ids it already has. (A transaction open longer than this after writing its
# event may still be missed; the database channel's poller waits as long for a missing id.)
LATE_COMMIT = timedelta(seconds=5)
# A catch-up reads the push log this many events at a time (the stream reads page after page).
CATCH_UP_LIMIT = 500
# The parameters that name the line the caller dialled, by phone system (first one sent wins).
LINE_PARAMETERS = ("dnis", "line", "to", "called", "callednumber", "dialednumber", "queue")
# What other apps add to a pushed call's description (caller profiles: alerts and a block),
# registered in their AppConfig.ready so that the push imports none of them.
CALL_DESCRIBERS: list[Callable[[Call, CallReport | None], dict[str, Any]]] = []


@dataclass(frozen=True)
class Viewer:
    """A console's owner, as the stream knows them (no ORM object crosses into async code)."""

    user_id: int
    organization_id: int
    is_supervisor: bool

    @classmethod
    def of(cls, user: User) -> Viewer:
        assert user.organization_id is not None
        return cls(user_id=user.pk, organization_id=user.organization_id, is_supervisor=user.is_supervisor)


@dataclass(frozen=True)
class Pushed:
    """One event, ready to send: routing plus the JSON the consoles read."""

    id: int
    organization_id: int
    pop_for_id: int | None
    agent_id: int | None
    data: dict[str, Any]
    kind: str = "call"

    def visible_to(self, viewer: Viewer) -> bool:
        if self.organization_id != viewer.organization_id:
            return False
        return viewer.is_supervisor or viewer.user_id in (self.pop_for_id, self.agent_id)

    # Each event is encoded once per variant (popping or not), not once per open console.
    encoded: dict[bool, bytes] = field(default_factory=dict, compare=False, repr=False)

    def message(self, viewer: Viewer) -> bytes:
        """The server-sent event for `viewer`'s console."""
        pop = self.pop_for_id == viewer.user_id
        if pop not in self.encoded:
            body = json.dumps({**self.data, "pop": pop}, separators=(",", ":"))
            self.encoded[pop] = f"id: {self.id}\nevent: {self.kind}\ndata: {body}\n\n".encode()
        return self.encoded[pop]


def visible_events(viewer: Viewer) -> Q:
    """The events `viewer` may receive, as a filter (the SQL twin of `Pushed.visible_to`)."""
    mine = Q(organization_id=viewer.organization_id)
    if viewer.is_supervisor:
        return mine
    return mine & (Q(pop_for_id=viewer.user_id) | Q(agent_id=viewer.user_id))


def line_of(sent: Params) -> str:
    return next((sent.get(name) for name in LINE_PARAMETERS if sent.get(name)), "")


def caller_of(sent: Params, report: CallReport | None) -> str:
    """The number as the draft holds it; a call without a draft (no agent) as the phone system sent it."""
    if report is not None:
        return report.phone_raw or report.phone_e164
    return sent.get("ani")


def describe(call: Call, report: CallReport | None, state: str) -> dict[str, Any]:
    """What a console shows of a call: who, which line, since when, who has it (and since when
    they are talking), its draft. A draft without a named agent is its author's (a URL pop)."""
    agent = (report.agent or report.author) if report is not None else None
    sent = read_params(call.sent_pairs())  # read once for the caller and the line
    extra: dict[str, Any] = {}
    for describer in CALL_DESCRIBERS:
        extra.update(describer(call, report))
    return {
        **extra,
        "call": str(call.public_id),
        "state": state,
        "caller": caller_of(sent, report),
        "line": line_of(sent),
        "form": call.form.name,
        "receivedAt": call.received_at.isoformat(),
        "agent": agent.display_name if agent is not None else "",
        "answeredAt": call.answered_at.isoformat() if call.answered_at is not None else "",
        # Nobody has it: no draft (the phone system named no agent Calldesk knows, nobody answered).
        "unassigned": report is None,
        "editor": uuid_url("reports-edit", public_id=report.public_id)
        if report is not None and report.is_draft
        else "",
        # Its report is submitted, closed or abandoned: off the board, whatever the phone system says.
        "finished": report is not None and not report.is_draft,
    }


def report_of(call: Call) -> CallReport | None:
    try:
        return call.report
    except CallReport.DoesNotExist:
        return None


# Other apps' event kinds (a risk raised, ...): what their consoles are sent, read when the event
# is sent as a call's is. Registered from those apps' `ready()`, so push imports none of them.
Describer = Callable[[PushEvent], dict[str, Any]]
KIND_DESCRIBERS: dict[str, Describer] = {}


def register_kind(kind: str, describer: Describer) -> None:
    KIND_DESCRIBERS[kind] = describer


def _data(event: PushEvent) -> dict[str, Any]:
    if event.kind == "call" and event.call is not None:
        return describe(event.call, report_of(event.call), event.state)
    describer = KIND_DESCRIBERS.get(event.kind)
    return describer(event) if describer is not None else {}


def load(events: list[PushEvent]) -> list[Pushed]:
    return [
        Pushed(
            id=event.pk,
            organization_id=event.organization_id,
            pop_for_id=event.pop_for_id,
            agent_id=event.agent_id,
            data=_data(event),
            kind=event.kind,
        )
        for event in events
    ]


def _with_calls() -> Any:
    return PushEvent.objects.select_related("call__form", "call__report__agent", "call__report__author").order_by("id")


class Recent:
    """The events this process loaded lately, shared by every console it serves.

    Loading an event (its call, its draft's sealed number, the caller's alerts) costs a few
    queries; when Redis or a node comes back, every console reconnects at once and catches up on
    the same few hundred events: each is loaded once per process, not once per console, else the
    catch-ups queue for tens of seconds behind each other and the consoles stay silent. An entry
    is as fresh as a live push's (loaded when it passed), and kept `SECONDS` at most.
    """

    SIZE = 5000
    SECONDS = 60.0

    def __init__(self) -> None:
        self.entries: OrderedDict[int, tuple[float, Pushed]] = OrderedDict()
        self.lock = threading.Lock()  # the push's reads run on two threads

    def loaded(self, ids: list[int]) -> list[Pushed]:
        """The events of `ids` that still exist, in the order given; loads those not kept."""
        now = time.monotonic()
        with self.lock:
            kept = {i: entry[1] for i in ids if (entry := self.entries.get(i)) and now - entry[0] < self.SECONDS}
        missing = [i for i in ids if i not in kept]
        if missing:
            kept.update((event.id, event) for event in events_by_id(missing))
        return [kept[i] for i in ids if i in kept]

    def keep(self, found: list[Pushed]) -> None:
        now = time.monotonic()
        with self.lock:
            for event in found:
                self.entries[event.id] = (now, event)
                self.entries.move_to_end(event.id)
            while len(self.entries) > self.SIZE:
                self.entries.popitem(last=False)


recent = Recent()


def events_after(last_id: int, *, limit: int = CATCH_UP_LIMIT) -> list[Pushed]:
    """Every organization's events after `last_id` (the database channel's poll)."""
    return _loaded_and_kept(_with_calls().filter(id__gt=last_id)[:limit])


def events_by_id(ids: list[int]) -> list[Pushed]:
    return _loaded_and_kept(_with_calls().filter(id__in=ids))


def _loaded_and_kept(found: Any) -> list[Pushed]:
    """The events of `found`, loaded, and kept in `recent` for the catch-ups that follow."""
    pushed = load(list(found))
    recent.keep(pushed)
    return pushed


def catch_up(viewer: Viewer, last_id: int) -> list[Pushed]:
    """What `viewer`'s console missed after event `last_id` (at most the last 24 hours), one page."""
    return catch_up_page(viewer, last_id)[0]


def catch_up_page(viewer: Viewer, last_id: int) -> tuple[list[Pushed], int | None]:
    """A page of what `viewer`'s console missed after event `last_id`, and the id the next page
    starts after (None when this one was the last). Decided by the ids read, not by the events
    loaded: one pruned between the two reads makes the page shorter, not the last."""
    since = timezone.now() - KEEP_EVENTS
    found = PushEvent.objects.filter(visible_events(viewer), id__gt=last_id, created_at__gte=since).order_by("id")
    ids = list(found.values_list("id", flat=True)[:CATCH_UP_LIMIT])
    return recent.loaded(ids), (ids[-1] if len(ids) == CATCH_UP_LIMIT else None)


def catch_up_start(last_id: int) -> int:
    """Where a catch-up after event `last_id` starts reading: after the last event written
    LATE_COMMIT or more before it, so that every event written within LATE_COMMIT before it, which
    may have committed after `last_id` was read, is read again (two queries, once per stream)."""
    if _ids_in_order():
        return last_id
    created = PushEvent.objects.filter(id=last_id).values_list("created_at", flat=True).first()
    if created is None:  # pruned, or an id the console made up: nothing to re-read
        return last_id
    return late_commit_start(created, below=last_id)


def listen_start() -> tuple[int, list[int]]:
    """Where the database channel starts reading when its process's first console connects: the
    id it reads after, and the ids after it already committed (not sent: the consoles' catch-ups,
    which follow, read them from the log). Not after the latest id: an event written just before
    it may still be uncommitted, and reading after the latest would skip it for good once it
    commits; the channel waits for such a missing id as for any other."""
    if _ids_in_order():
        return latest_event_id(), []
    start = late_commit_start(timezone.now())
    committed = PushEvent.objects.filter(id__gt=start).order_by("id").values_list("id", flat=True)
    return start, list(committed)


def late_commit_start(written: datetime, below: int | None = None) -> int:
    """The last event (below id `below`) written LATE_COMMIT or more before `written`, 0 if none:
    the one place the late-commit window is drawn. An event written within LATE_COMMIT before
    `written` has a higher id (ids come from a sequence at insert, after created_at is taken),
    and may have committed, or still commit, after a later id was read."""
    # Walks the primary key back from the newest (or from `below`) to the first event older than
    # the window: a few seconds of events, however many the log holds or far back `below` is.
    settled = PushEvent.objects.filter(created_at__lt=written - LATE_COMMIT)
    if below is not None:
        settled = settled.filter(id__lt=below)
    return settled.order_by("-id").values_list("id", flat=True).first() or 0


def _ids_in_order() -> bool:
    """On SQLite a transaction holds the one write lock from its first insert to its commit: ids
    become visible in order, and nothing below a visible id can still arrive."""
    return connection.vendor == "sqlite"


def shown_ids(viewer: Viewer, last_id: int) -> list[int]:
    """The events before `last_id` that a console page opened at `last_id` already shows (its list
    and board are read after this), and that its stream's catch-up sends again: its script skips
    them. Events that commit later are not among them, and are shown when the stream sends them."""
    start = catch_up_start(last_id)
    if start == last_id:
        return []
    found = PushEvent.objects.filter(visible_events(viewer), id__gt=start, id__lt=last_id)
    return list(found.values_list("id", flat=True))


def latest_event_id() -> int:
    last = PushEvent.objects.order_by("-id").values_list("id", flat=True).first()
    return last or 0


def prune() -> int:
    deleted, _ = PushEvent.objects.filter(created_at__lt=timezone.now() - KEEP_EVENTS).delete()
    return deleted
