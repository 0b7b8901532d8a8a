from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from calldesk.accounts import throttle, twofactor, twofactor_views
from calldesk.accounts.middleware import LAST_ACTIVITY
from calldesk.accounts.models import User
from calldesk.lib.clientaddr import client_address
from calldesk.lib.emails import EmailAddressField


class EmailAuthenticationForm(AuthenticationForm):
    # Normalised like every stored address, so José@… and josé@… log in alike.
    username = EmailAddressField(label="Email")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autofocus": True, "autocomplete": "email"})


class ResetRequestForm(PasswordResetForm):
    # The address normalised as it is stored, so the reset finds the user however it is typed.
    email = EmailAddressField(label="Email", max_length=254)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update({"autofocus": True, "autocomplete": "email"})


def safe_next(value: str | None) -> str:
    """The redirect after login: only ever a path on this site, else the home page."""
    if not value:
        return ""
    if not value.startswith("/") or value.startswith("//") or value.startswith("/\\"):
        return ""
    if any(ch in value for ch in "\r\n\t\\"):
        return ""
    if not url_has_allowed_host_and_scheme(value, allowed_hosts=set(), require_https=False):
        return ""
    return value


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_redirect_url(self, request: HttpRequest | None = None) -> str:
        # `request` only to match django-stubs' signature; Django calls this without it.
        return safe_next(self.request.POST.get("next") or self.request.GET.get("next"))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Checked before the password is: a refused try learns nothing about it.
        email = throttle.normalise_email(request.POST.get("username", ""))
        address = client_address(request)
        verdict = throttle.check(email, address)
        if not verdict.allowed:
            throttle.note(email, address, throttle.Outcome.THROTTLED)
            throttle.login_refused.send(sender=type(self), email=email, request=request)
            return render(request, "accounts/locked_out.html", {"minutes": verdict.minutes}, status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if isinstance(user, User) and twofactor.needs_second_step(user):
            # The password was right; the login happens only after the code (twofactor_views).
            # The throttle counts it a success then (accounts.signals, on user_logged_in).
            return twofactor_views.begin(self.request, user, user.backend, self.get_success_url())
        response = super().form_valid(form)
        self.request.session[LAST_ACTIVITY] = time.time()
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        email = throttle.normalise_email(self.request.POST.get("username", ""))
        throttle.note(email, client_address(self.request), throttle.Outcome.FAILURE)
        return super().form_invalid(form)


def logout_view(request: HttpRequest) -> HttpResponse:
    return auth_views.LogoutView.as_view()(request)
