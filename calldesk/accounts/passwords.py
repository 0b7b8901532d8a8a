"""A password an admin chose is changed by its user before anything else.

After logging in, a user whose password was set by an admin (`must_change_password`) is sent
to choose their own: every page they open, except the ones a call needs on its way (the
telephony URL and its resume, which open the draft; the draft's own address is opaque and is
where they go on once the password is changed), and except what is not a page (a script's
saves, the API, assets), which is never interrupted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from calldesk.accounts.middleware import BACKGROUND_HEADER
from calldesk.accounts.models import User

CHANGE_PATH = "/accounts/password-change/"
# Where a user who must change their password may still go.
EXEMPT = (
    CHANGE_PATH,
    "/accounts/logout/",
    "/accounts/two-factor/",
    "/Telephony/",
    "/static/",
    "/api/",
    "/healthz",
    "/readyz",
    "/favicon.ico",
)


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            isinstance(user, User)
            and user.must_change_password
            and request.method == "GET"
            and request.META.get(BACKGROUND_HEADER) != "1"
            and not request.path.startswith(EXEMPT)
        ):
            return HttpResponseRedirect(f"{reverse('accounts-password-change')}?next={quote(request.get_full_path())}")
        return self.get_response(request)


class ChosenPasswordView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm

    def get_success_url(self) -> str:
        from calldesk.accounts.views import safe_next

        return safe_next(self.request.POST.get("next") or self.request.GET.get("next")) or "/"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["forced"] = isinstance(user, User) and user.must_change_password
        context["next"] = self.get_success_url()
        return context

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)  # saves the password and keeps this session
        User.objects.filter(pk=form.user.pk).update(must_change_password=False)
        return response


class OwnPasswordForm(SetPasswordForm):  # type: ignore[type-arg]
    """A new password through a reset link is the user's own: no change is asked after it."""

    def save(self, commit: bool = True) -> Any:
        if isinstance(self.user, User):
            self.user.must_change_password = False
        return super().save(commit=commit)
