"""Who is asking: the one place views turn a request into a user and check roles."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponseBase

from calldesk.accounts.models import User


def current_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User), "views that call current_user are behind login_required"
    return user


View = Callable[..., HttpResponseBase]


def role_required(check: Callable[[User], bool]) -> Callable[[View], View]:
    """Logged in, in an organization, and passing `check`; everyone else gets a 404, so
    people outside a role never learn which pages exist."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = current_user(request)
            if user.organization_id is None or not check(user):
                raise Http404("Not found")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


supervisor_required = role_required(lambda user: user.is_supervisor)
admin_required = role_required(lambda user: user.is_org_admin)
