from typing import Any

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest


def _note_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """A completed login (after the second factor, where one is asked) is a success for the
    login throttle: this address becomes the user's own, and its earlier failures are forgotten."""
    from calldesk.accounts import secondfactor, throttle
    from calldesk.lib.clientaddr import client_address

    if request is not None:
        secondfactor.note_login(request, user)
        throttle.note(throttle.normalise_email(user.email), client_address(request), throttle.Outcome.SUCCESS)


class AccountsConfig(AppConfig):
    name = "calldesk.accounts"
    label = "accounts"

    def ready(self) -> None:
        user_logged_in.connect(_note_login, dispatch_uid="accounts-login-throttle")
