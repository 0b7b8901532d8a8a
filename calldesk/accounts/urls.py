"""Forgotten passwords: Django's reset views, in the site's look, by email.

The email goes out through EMAIL_BACKEND (settings: the console when no EMAIL_HOST is set, SMTP
otherwise). The answer after asking is the same whether or not the address is known, so the
page tells no one who has an account. Setting a new password does not sign in: the login page
(and the second factor, where one is asked) comes next.
"""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import path, reverse_lazy

from calldesk.accounts.invitations import invitation_tokens
from calldesk.accounts.passwords import ChosenPasswordView, OwnPasswordForm
from calldesk.accounts.views import ResetRequestForm

urlpatterns = [
    path("password-change/", login_required(ChosenPasswordView.as_view()), name="accounts-password-change"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            form_class=ResetRequestForm,
            template_name="accounts/password_reset.html",
            email_template_name="accounts/password_reset_email.txt",
            subject_template_name="accounts/password_reset_subject.txt",
            success_url=reverse_lazy("accounts-password-reset-sent"),
        ),
        name="accounts-password-reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_sent.html"),
        name="accounts-password-reset-sent",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts-password-reset-complete"),
            form_class=OwnPasswordForm,
        ),
        name="accounts-password-reset-confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="accounts-password-reset-complete",
    ),
    path(
        "invitation/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts-password-reset-complete"),
            form_class=OwnPasswordForm,
            token_generator=invitation_tokens,
            extra_context={"invitation": True},
        ),
        name="accounts-invitation",
    ),
]
