"""Forgot your password: a reset link by email (Django's views, in the site's look), the same
answer for unknown addresses, a link that works once, and a second factor still asked after."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from django.core import mail
from django.test import Client

from calldesk.accounts.models import User
from tests.cast import PASSWORD, Cast
from tests.twofactor import enrol

NEW_PASSWORD = "a-brand-new-passphrase-42"


def ask_for_reset(email: str) -> str:
    response = Client().post("/accounts/password-reset/", {"email": email})
    assert response.status_code == 302 and response["Location"] == "/accounts/password-reset/sent/"
    return str(Client().get(response["Location"]).content.decode())


def link_in(message: mail.EmailMessage) -> str:
    found = re.search(r"http://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)", str(message.body))
    assert found, message.body
    return found.group(1)


def test_the_login_page_offers_it_and_the_link_sets_a_new_password_once(cast: Cast) -> None:
    assert 'href="/accounts/password-reset/"' in Client().get("/accounts/login/").content.decode()
    page = ask_for_reset(cast.specialist.email.upper())
    assert "Check your email" in page
    [message] = mail.outbox
    assert message.to == [cast.specialist.email]
    assert "Set a new Calldesk password" in message.subject
    browser = Client()
    form = browser.get(link_in(message), follow=True)
    assert form.status_code == 200 and "Set a new password" in form.content.decode()
    form_path = form.redirect_chain[-1][0]
    mismatch = browser.post(form_path, {"new_password1": NEW_PASSWORD, "new_password2": "other"})
    assert mismatch.status_code == 200 and "field-error" in mismatch.content.decode()
    done = browser.post(form_path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == "/accounts/reset/done/"
    login = Client().post("/accounts/login/", {"username": cast.specialist.email, "password": NEW_PASSWORD})
    assert login.status_code == 302 and login["Location"] == "/"
    old = Client().post("/accounts/login/", {"username": cast.specialist.email, "password": PASSWORD})
    assert old.status_code == 200  # the old password no longer works
    again = Client().get(link_in(message), follow=True)
    assert "This link no longer works" in again.content.decode()


def test_an_unknown_or_inactive_address_gets_the_same_answer_and_no_email(cast: Cast) -> None:
    known = ask_for_reset(cast.specialist.email)
    mail.outbox.clear()
    User.objects.filter(pk=cast.specialist2.pk).update(is_active=False)
    for email in ("nobody@lifeline.example", cast.specialist2.email):
        assert ask_for_reset(email) == known
    assert mail.outbox == []
    bad = Client().post("/accounts/password-reset/", {"email": "not an address"})
    assert bad.status_code == 200 and "field-error" in bad.content.decode()


def test_a_reset_password_still_asks_for_the_second_factor(cast: Cast) -> None:
    enrol(cast.supervisor)
    ask_for_reset(cast.supervisor.email)
    browser = Client()
    form_path = browser.get(link_in(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    browser.post(form_path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert browser.get("/dashboards/").status_code == 302  # not signed in by the reset
    login = Client().post("/accounts/login/", {"username": cast.supervisor.email, "password": NEW_PASSWORD})
    assert login["Location"] == "/accounts/two-factor/"


def email_backend(env: dict[str, str]) -> str:
    code = "import django; django.setup(); from django.conf import settings; print(settings.EMAIL_BACKEND)"
    clean = {key: value for key, value in os.environ.items() if not key.startswith("EMAIL_")}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "calldesk.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_email_goes_to_the_console_by_default_and_to_smtp_when_a_host_is_set() -> None:
    assert email_backend({}) == "django.core.mail.backends.console.EmailBackend"
    assert email_backend({"EMAIL_HOST": "smtp.example.org"}) == "django.core.mail.backends.smtp.EmailBackend"
