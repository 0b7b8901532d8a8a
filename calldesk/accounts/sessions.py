"""Django's database sessions, read with a query compiled once.

Every request of a logged-in user reads its session: compiling that SELECT cost more than
running it. Sessions stay rows on the server, so logout, deactivation and the idle timeout end
one at once; only the read is cheaper. SESSION_ENGINE names this module.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from calldesk.lib.prepared import Prepared, param

_LIVE = Prepared(
    lambda session_key, now: Session.objects.filter(session_key=session_key, expire_date__gt=now)[:1],
    session_key=param(Session, "session_key"),
    now=param(Session, "expire_date"),
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        found = _LIVE.first(session_key=self.session_key, now=timezone.now())
        if found is None:
            self._session_key = None  # as Django's: an unknown or expired key starts a new session
        return found
