"""What the rest of Calldesk calls to push a call to the consoles.

This is the one entry point: the telephony URL, the API and the Zammad-compatible CTI adapter
call `publish_call` after they record or change a call; how the event reaches the consoles
(database channel on the embedded default, Redis when REDIS_URL is set) lives behind it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.db import transaction

from calldesk.push.channel import get_channel
from calldesk.push.models import PushEvent
from calldesk.reports.models import CallReport

if TYPE_CHECKING:
    from calldesk.accounts.models import User
    from calldesk.telephony.models import Call


def publish_call(call: Call, *, pop_for: User | None = None) -> None:
    """Tell the consoles that `call` was recorded or changed state (ringing, talking, ended).

    `pop_for`: the specialist whose console should open the call's draft now (the agent the API
    resolved, the user who answered a Zammad CTI call). Supervisors' consoles of the call's
    organization always see the change. Safe to call inside a transaction: the event is sent
    only once the transaction commits.
    """
    if pop_for is not None and pop_for.organization_id != call.organization_id:
        raise ValueError("a call is only ever pushed to its own organization's people")
    report = CallReport.objects.filter(call=call).only("agent_id").first()
    event = PushEvent.objects.create(
        organization_id=call.organization_id,
        call=call,
        state=call.state,
        pop_for=pop_for,
        agent_id=report.agent_id if report is not None else None,
    )
    # The row is written with the caller's transaction (a rolled-back call leaves no event);
    # the channel is told only after it commits, so no console sees a call that never was.
    transaction.on_commit(lambda: get_channel().announce(event.pk))


def publish_event(kind: str, organization_id: int, subject: UUID) -> None:
    """Tell the organization's supervisors' consoles about `subject`, an event of another app's
    `kind` (registered with `calldesk.push.events.register_kind`); sent once the transaction
    commits, caught up like a call's."""
    event = PushEvent.objects.create(organization_id=organization_id, kind=kind, subject=subject)
    transaction.on_commit(lambda: get_channel().announce(event.pk))
