"""What the rest of Calldesk calls to push a call to the consoles.

This is the one entry point: telephony announces every call it records or changes (the URL, the
API, the Zammad-compatible CTI adapter) and `apps.py` hands it here; how the event reaches the consoles
(database channel on the embedded default, Redis when REDIS_URL is set) lives behind it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast
from uuid import UUID

from django.db import connection, transaction
from django.utils import timezone

from calldesk.push.channel import get_channel
from calldesk.push.models import PushEvent

if TYPE_CHECKING:
    from calldesk.accounts.models import User
    from calldesk.telephony.models import Call


_FROM_REPORT = object()


def publish_call(call: Call, *, pop_for: User | None = None, agent_id: int | object | None = _FROM_REPORT) -> None:
    """Tell the consoles that `call` was recorded or changed state (ringing, talking, ended).

    `pop_for`: the specialist whose console should open the call's draft now (the agent the API
    resolved, the user who answered a Zammad CTI call). Supervisors' consoles of the call's
    organization always see the change. Safe to call inside a transaction: the event is sent
    only once the transaction commits. `agent_id`: the specialist who has the call's draft, when
    the caller knows it (saves reading the report again on the screen pop's path).
    """
    if pop_for is not None and pop_for.organization_id != call.organization_id:
        raise ValueError("a call is only ever pushed to its own organization's people")
    follower: int | None
    if agent_id is _FROM_REPORT:
        # The draft's agent; a draft nobody named an agent for is its author's (a URL pop's opener).
        # Read through the call's own relation: push imports no other app's models.
        row = type(call).objects.filter(pk=call.pk).values_list("report__agent_id", "report__author_id").first()
        follower = cast(int | None, (row[0] or row[1]) if row is not None else None)
    else:
        follower = cast(int | None, agent_id)
    event_id = _insert_event(call, pop_for.pk if pop_for is not None else None, follower)
    # The row is written with the caller's transaction (a rolled-back call leaves no event);
    # the channel is told only after it commits, so no console sees a call that never was.
    transaction.on_commit(lambda: get_channel().announce(event_id))


def _insert_event(call: Call, pop_for_id: int | None, agent_id: int | None) -> int:
    """The event's row, by one INSERT written here: every screen pop now pushes (the board shows
    it talking), and the ORM's create() cost three times the statement it runs (about 4 % of a
    whole pop). tests/test_push_publish.py reads the rows back through the ORM."""
    if not connection.features.can_return_columns_from_insert:  # SQLite before 3.35
        event = PushEvent.objects.create(
            organization_id=call.organization_id, call=call, state=call.state, pop_for_id=pop_for_id, agent_id=agent_id
        )
        return event.pk
    meta = PushEvent._meta
    quote = connection.ops.quote_name
    columns = ("organization_id", "kind", "call_id", "state", "pop_for_id", "agent_id", "created_at")
    created = meta.get_field("created_at").get_db_prep_value(timezone.now(), connection)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608 - fixed names  # nosec B608
        f"VALUES ({', '.join(['%s'] * len(columns))}) RETURNING {quote('id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [call.organization_id, "call", call.pk, call.state, pop_for_id, agent_id, created])
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


def publish_event(kind: str, organization_id: int, subject: UUID) -> None:
    """Tell the organization's supervisors' consoles about `subject`, an event of another app's
    `kind` (registered with `calldesk.push.events.register_kind`); sent once the transaction
    commits, caught up like a call's."""
    event = PushEvent.objects.create(organization_id=organization_id, kind=kind, subject=subject)
    transaction.on_commit(lambda: get_channel().announce(event.pk))
