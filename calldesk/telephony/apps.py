from typing import Any

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest


def _after_login(sender: Any, request: HttpRequest, **kwargs: Any) -> None:
    """The short life of a logged-out session with a waiting call ends at login; calls
    waiting too long are dropped now rather than kept for the whole session."""
    from calldesk.telephony.views import waiting_calls

    request.session.set_expiry(None)
    waiting_calls(request.session)


class TelephonyConfig(AppConfig):
    name = "calldesk.telephony"
    label = "telephony"

    def ready(self) -> None:
        user_logged_in.connect(_after_login, dispatch_uid="telephony-after-login")
