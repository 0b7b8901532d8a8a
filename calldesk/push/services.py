"""What the rest of Calldesk calls to push a call to the consoles.

This is the one entry point: the telephony URL, the API and the Zammad-compatible CTI adapter
call `publish_call` after they record or change a call; how the event reaches the consoles
(database channel on the embedded default, Redis when REDIS_URL is set) lives behind it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.db import transaction

from calldesk.push.channel import get_channel
from calldesk.push.models import PushEvent
from calldesk.reports.models import CallReport

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
        report = CallReport.objects.filter(call=call).only("agent_id", "author_id").first()
        # The draft's agent; a draft nobody named an agent for is its author's (a URL pop's opener).
        follower = (report.agent_id or report.author_id) if report is not None else None
    else:
        follower = cast(int | None, agent_id)
    event = PushEvent.objects.create(
        organization_id=call.organization_id,
        call=call,
        state=call.state,
        pop_for=pop_for,
        agent_id=follower,
    )
    # The row is written with the caller's transaction (a rolled-back call leaves no event);
    # the channel is told only after it commits, so no console sees a call that never was.
    transaction.on_commit(lambda: get_channel().announce(event.pk))
