"""The access audit: who opened, exported or searched for what, and who logged in.

Append-only: an event is written once and never changed or deleted by the app (the model
and its queryset refuse, and the database refuses too: triggers in migration 0001). It
never holds a caller's number: a search by number keeps the number's keyed hash
(calldesk.lib.crypto.phone_hash, the key that finds repeat callers), so an admin can find
"who searched for this number" by typing it.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models

from calldesk.accounts.models import Organization


class AppendOnlyError(RuntimeError):
    pass


def _refuse(*args: Any, **kwargs: Any) -> NoReturn:
    raise AppendOnlyError("access audit events are never changed or deleted")


class EventQuerySet(models.QuerySet["AccessEvent"]):
    update = _refuse  # type: ignore[assignment]
    delete = _refuse  # type: ignore[assignment]
    bulk_update = _refuse  # type: ignore[assignment]


class AccessEvent(models.Model):
    class Action(models.TextChoices):
        REPORT_VIEW = "report.view", "Opened a report"
        REPORT_EDIT = "report.edit", "Opened a report to correct it"
        REPORT_EXPORT = "report.export", "Exported reports"
        PHONE_SEARCH = "phone.search", "Searched by a phone number"
        LOGIN = "login", "Logged in"
        LOGIN_FAILED = "login.failed", "Failed login"
        LOGIN_REFUSED = "login.refused", "Login refused (too many failures)"
        TOKEN_USE = "token.use", "API token used"
        CALLER_VIEW = "caller.view", "Opened a caller's profile"

    at = models.DateTimeField(auto_now_add=True)
    # No foreign-key constraints, no cascades: deleting an organization or a user must not
    # delete (or rewrite) what they did. The ids stay; `actor` keeps the email as it was.
    organization = models.ForeignKey(
        Organization, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    actor = models.CharField(max_length=254, blank=True)  # the email, or the API token's name
    action = models.CharField(max_length=32, choices=Action.choices)
    report = models.UUIDField(null=True, blank=True)  # the report's public id
    phone_digest = models.CharField(max_length=64, blank=True)  # calldesk.lib.crypto.phone_hash
    address = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict)  # never a number or personal field

    objects = EventQuerySet.as_manager()

    class Meta:
        indexes = [
            # The admin page: an organization's events, newest first, by action or person.
            models.Index(fields=["organization", "-at"], name="access_org_at_idx"),
            models.Index(fields=["organization", "user", "-at"], name="access_org_user_at_idx"),
            # "Who searched for this number?"
            models.Index(fields=["organization", "phone_digest"], name="access_org_phone_idx"),
            models.Index(fields=["organization", "report"], name="access_org_report_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} at {self.at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            _refuse()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse()
