"""What the rest of Calldesk calls to push a call to the consoles.

This is the one entry point: the telephony URL, the API and the Zammad-compatible CTI adapter
call `publish_call` after they record or change a call; how the event reaches the consoles
(database channel on the embedded default, Redis when REDIS_URL is set) lives behind it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    # Filled in by the push channel (calldesk/push/); until then, no console listens.
    return None
