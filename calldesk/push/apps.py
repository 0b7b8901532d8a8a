from typing import Any

from django.apps import AppConfig


def _call_changed(sender: Any, call: Any, pop_for: Any = None, agent_id: int | None = None, **kwargs: Any) -> None:
    from calldesk.push.services import publish_call

    if agent_id is None:
        publish_call(call, pop_for=pop_for)
    else:
        publish_call(call, pop_for=pop_for, agent_id=agent_id)


class PushConfig(AppConfig):
    name = "calldesk.push"
    label = "push"

    def ready(self) -> None:
        # Telephony announces its calls; the consoles learn of them here, so telephony imports
        # nothing of push.
        from calldesk.telephony.signals import call_changed

        call_changed.connect(_call_changed, dispatch_uid="push-call-changed")
