"""What the access audit listens to: logins (Django's signals and the throttle's), exports
as they finish, and API token use. Opening reports and searching by number are recorded by
AccessAuditMiddleware, from the URL that was answered."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_save
from django.http import HttpRequest

from calldesk.accounts.models import User
from calldesk.accounts.throttle import login_refused, normalise_email
from calldesk.audit.models import AccessEvent
from calldesk.audit.services import record_access
from calldesk.configure.models import ApiToken
from calldesk.configure.tokens import token_used
from calldesk.reports.models import ExportRecord

Action = AccessEvent.Action


def _logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    record_access(Action.LOGIN, request=request, user=user)


def _someone(email: str) -> User | None:
    return User.objects.filter(email=email).first() if email else None


def _login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    email = normalise_email(str(credentials.get("username", "")))
    user = _someone(email)
    record_access(Action.LOGIN_FAILED, request=request, user=user, actor=email)


def _login_refused(sender: Any, email: str, request: HttpRequest, **kwargs: Any) -> None:
    record_access(Action.LOGIN_REFUSED, request=request, user=_someone(email), actor=email)


def _export_saved(sender: Any, instance: ExportRecord, update_fields: Any = None, **kwargs: Any) -> None:
    # Written when the download ends (or stops): then the rows sent are known.
    if not update_fields or "rows" not in update_fields:
        return
    filters = {key: value for key, value in instance.filters.items() if key not in ("phone", "phone_removed")}
    record_access(
        Action.REPORT_EXPORT,
        user=instance.user,
        actor=instance.actor,
        organization=instance.organization_id,
        phone_e164=str(instance.filters.get("phone", "")),
        format=instance.format,
        rows=instance.rows,
        complete=instance.complete,
        filters=filters,
        by_phone=bool(instance.filters.get("phone")),
    )


def _token_used(sender: Any, token: ApiToken, **kwargs: Any) -> None:
    # As often as the token's "last used" time is written: at most once a minute per token.
    # What a token reads (reports, searches by number) is recorded by each API endpoint.
    record_access(
        Action.TOKEN_USE,
        organization=token.organization_id,
        actor=f"API token “{token.name}”",
        token=str(token.public_id),
    )


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="audit-login")
    user_login_failed.connect(_login_failed, dispatch_uid="audit-login-failed")
    login_refused.connect(_login_refused, dispatch_uid="audit-login-refused")
    post_save.connect(_export_saved, sender=ExportRecord, dispatch_uid="audit-export")
    token_used.connect(_token_used, dispatch_uid="audit-token")
