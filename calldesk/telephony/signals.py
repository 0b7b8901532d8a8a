"""What telephony tells the rest of Calldesk about calls, without knowing who listens.

The consoles (`push`) subscribe to `call_changed` when the app loads; telephony imports nothing
of theirs. Receivers run inside the sender's transaction, so whatever they write is rolled back
with a call that never was.
"""

from __future__ import annotations

from django.dispatch import Signal

from calldesk.accounts.models import User
from calldesk.telephony.models import Call

# Sent with `call` (recorded or changed state: ringing, talking, ended), `pop_for` (the
# specialist whose console should open the call's draft now, or None) and `agent_id` (whose
# call it is on the consoles, when the sender knows it already; None: read from its draft).
call_changed = Signal()


def announce_call(call: Call, *, pop_for: User | None = None, agent_id: int | None = None) -> None:
    """Tell whoever listens that `call` was recorded or changed state."""
    call_changed.send(sender=Call, call=call, pop_for=pop_for, agent_id=agent_id)
