"""Authentication: Django's model backend, with the user's organization loaded alongside."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from calldesk.accounts.models import User


class UserWithOrganizationBackend(ModelBackend):
    """Every page reads the user's organization (time zone, idle timeout, scoping); one join
    on the per-request user lookup saves a query on every request."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            # get(), not first(): no ORDER BY to build on every request for a primary key.
            user = User.objects.select_related("organization").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
