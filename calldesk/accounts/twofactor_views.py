"""The second step of signing in, enrolment of an authenticator app, and new recovery codes.

The pending sign-in lives in the session under PENDING: the user's id, the backend that checked
the password, when, how many codes were tried, and where to go afterwards (a path on this site,
already checked by `safe_next`; a waiting call's path holds no caller data).
"""

from __future__ import annotations

import time
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from calldesk.accounts import throttle, twofactor
from calldesk.accounts.middleware import LAST_ACTIVITY
from calldesk.accounts.models import User
from calldesk.accounts.secondfactor import VERIFIED
from calldesk.lib import totp
from calldesk.lib.clientaddr import client_address

PENDING = "calldesk_2fa_pending"
ISSUER = "Calldesk"


def begin(request: HttpRequest, user: User, backend: str, next_path: str) -> HttpResponse:
    """Called by the login page once the password is right: the code comes next."""
    request.session.cycle_key()  # a session id seen before the password was typed is not reused
    request.session[PENDING] = {
        "user": user.pk,
        "backend": backend,
        "at": time.time(),
        "attempts": 0,
        "next": next_path,
    }
    return redirect("accounts-two-factor")


def _pending(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > twofactor.PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    user = User.objects.select_related("organization").filter(pk=pending["user"], is_active=True).first()
    if user is None:
        request.session.pop(PENDING, None)
        return None
    return user, pending


def _finish(request: HttpRequest, user: User, pending: dict[str, Any]) -> None:
    wrong_codes = throttle.code_failures_since_last_sign_in(throttle.normalise_email(user.email))
    request.session.pop(PENDING, None)
    login(request, user, backend=pending["backend"])
    request.session[LAST_ACTIVITY] = time.time()
    if wrong_codes:
        # Someone who had the password tried codes: the user should change it.
        messages.warning(
            request,
            f"Since you last signed in, {wrong_codes} wrong sign-in code{'s were' if wrong_codes > 1 else ' was'} "
            "typed after your password. If that was not you, change your password and tell your admin.",
        )


def _start_again(request: HttpRequest, message: str) -> HttpResponse:
    request.session.pop(PENDING, None)
    return render(request, "accounts/two_factor_expired.html", {"message": message}, status=400)


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Step two of signing in: a code from the app, or a recovery code."""
    found = _pending(request)
    if found is None:
        if request.user.is_authenticated:
            return redirect("accounts-security")
        return _start_again(request, "Your sign-in took too long or was not started. Log in again.")
    user, pending = found
    if twofactor.confirmed_device(user) is None:
        return redirect("accounts-two-factor-setup")
    error = ""
    if request.method == "POST":
        # Counted per account across sign-ins: typing the password again starts nothing afresh.
        email, address = throttle.normalise_email(user.email), client_address(request)
        verdict = throttle.code_check(email, address)
        if not verdict.allowed:
            request.session.pop(PENDING, None)
            locked = {"minutes": verdict.minutes, "codes": True}
            return render(request, "accounts/locked_out.html", locked, status=429)
        result = twofactor.check_code(user, request.POST.get("code", "")[:64])
        if result.ok:
            _finish(request, user, pending)
            if result.used_recovery_code:
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {result.recovery_codes_left} are left. "
                    "Make new ones on your Security page if you have lost your phone.",
                )
            return redirect(pending["next"] or "/")
        throttle.note(email, address, throttle.Outcome.CODE_FAILURE)
        pending["attempts"] = int(pending.get("attempts", 0)) + 1
        if pending["attempts"] >= twofactor.MAX_CODE_ATTEMPTS:
            return _start_again(request, "Too many wrong codes. Log in again with your password.")
        request.session[PENDING] = pending
        error = "That code is not right. Type the 6 digits your app shows now, or a recovery code."
    # The telephony URL and its resume after login both start so (a match, not a link).
    waiting_call = "/Telephony/" in (pending["next"] or "")
    context = {"who": user.email, "error": error, "waiting_call": waiting_call}
    return render(request, "accounts/two_factor_verify.html", context, status=400 if error else 200)


@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Enrolment: scan the QR code (or type the key), type one code, keep the recovery codes."""
    found = _pending(request)
    if found is not None:
        user, pending = found
    elif request.user.is_authenticated:
        assert isinstance(request.user, User)
        user, pending = request.user, {}
    else:
        return _start_again(request, "Your sign-in took too long or was not started. Log in again.")
    if twofactor.confirmed_device(user) is not None:
        return redirect("accounts-security" if not pending else "accounts-two-factor")
    device = twofactor.start_enrolment(user)
    error = ""
    if request.method == "POST":
        codes = twofactor.confirm_enrolment(user, request.POST.get("code", "")[:64])
        if codes is not None:
            if pending:
                _finish(request, user, pending)
            else:
                request.session[VERIFIED] = True  # signed in already, and now holds the app
            next_path = pending.get("next") or "/"
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": next_path, "new": True})
        error = "That code is not right. Type the 6 digits your app shows now (they change every 30 seconds)."
    uri = twofactor_uri(user, device.secret)
    context = {
        "who": user.email,
        "required": twofactor.requires_two_factor(user),
        "qr": segno.make(uri, error="m").svg_data_uri(scale=5, border=2),
        "secret_groups": [device.secret[i : i + 4] for i in range(0, len(device.secret), 4)],
        "error": error,
    }
    return render(request, "accounts/two_factor_setup.html", context, status=400 if error else 200)


def twofactor_uri(user: User, secret: str) -> str:
    org = user.organization
    return totp.provisioning_uri(secret, user.email, f"{ISSUER} {org.name}" if org else ISSUER)


@require_http_methods(["GET", "POST"])
def security(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own page: whether two-factor sign-in is on, new recovery codes."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("accounts-security"))
    assert isinstance(request.user, User)
    user = request.user
    device = twofactor.confirmed_device(user)
    if request.method == "POST" and device is not None:
        codes = twofactor.new_recovery_codes(user)
        return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": reverse("accounts-security")})
    context = {
        "device": device,
        "required": twofactor.requires_two_factor(user),
        "codes_left": user.recovery_codes.filter(used_at__isnull=True).count(),
    }
    return render(request, "accounts/security.html", context)
