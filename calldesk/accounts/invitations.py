"""Inviting a new user by email to choose their own password, instead of an admin choosing it.

The user is created without a usable password; the email holds a link like a password reset's,
good for INVITATION_DAYS and once only (setting the password changes what the link was made
from). Its tokens are salted apart from the reset's, so a reset link is never an invitation.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import send_mail
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from calldesk.accounts.models import User

INVITATION_DAYS = 7


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "calldesk.accounts.invitations.InvitationTokenGenerator"

    def check_token(self, user: Any, token: str | None) -> bool:
        """As Django's, with the invitation's lifetime instead of PASSWORD_RESET_TIMEOUT."""
        if not (user and token) or token.count("-") != 1:
            return False
        try:
            timestamp = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        made = any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )
        age = self._num_seconds(self._now()) - timestamp
        return made and age <= timedelta(days=INVITATION_DAYS).total_seconds()


invitation_tokens = InvitationTokenGenerator()


def send_invitation(request: HttpRequest, member: User, inviter: User) -> None:
    path = reverse(
        "accounts-invitation",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(member.pk)), "token": invitation_tokens.make_token(member)},
    )
    context = {
        "link": request.build_absolute_uri(path),
        "inviter": inviter.display_name,
        "organization": member.organization.name if member.organization else "Calldesk",
        "email": member.email,
        "days": INVITATION_DAYS,
    }
    send_mail(
        f"You are invited to Calldesk ({context['organization']})",
        render_to_string("accounts/invitation_email.txt", context),
        None,
        [member.email],
    )
