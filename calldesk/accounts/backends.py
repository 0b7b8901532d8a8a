"""Authentication: Django's model backend, with the user's organization loaded alongside."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from calldesk.accounts.models import User
from calldesk.lib.prepared import Prepared, param

# Read on every request: compiled once.
_WITH_ORGANIZATION = Prepared(
    lambda pk: User.objects.select_related("organization").filter(pk=pk)[:1], pk=param(User, "id")
)


class UserWithOrganizationBackend(ModelBackend):
    """Every page reads the user's organization (time zone, idle timeout, scoping); one join
    on the per-request user lookup saves a query on every request."""

    def get_user(self, user_id: Any) -> User | None:
        user = _WITH_ORGANIZATION.first(pk=user_id)
        if user is None:
            return None
        return user if self.user_can_authenticate(user) else None
