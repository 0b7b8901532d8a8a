"""Organizations (one helpline each), their users and roles."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower

from calldesk.lib.emails import normalise_email
from calldesk.lib.sealed import SealedTextField


class Organization(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="UTC")
    phone_region = models.CharField(max_length=2, default="US")
    idle_timeout_minutes = models.PositiveIntegerField(default=30)
    # How long callers' personal data is kept, in days; None keeps it.
    retention_days = models.PositiveIntegerField(null=True, blank=True)
    # Roles that must sign in with a second factor, comma-separated (see Organization.roles_requiring_two_factor).
    two_factor_roles = models.CharField(max_length=64, default="supervisor,admin", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def roles_requiring_two_factor(self) -> list[str]:
        return [role for role in self.two_factor_roles.split(",") if role]

    @staticmethod
    def two_factor_roles_text(roles: list[str]) -> str:
        """The stored form of `two_factor_roles`: known roles, in role order, comma-separated."""
        return ",".join(role for role in Role.values if role in roles)


class Role(models.TextChoices):
    SPECIALIST = "specialist", "Specialist"
    SUPERVISOR = "supervisor", "Supervisor"
    ADMIN = "admin", "Admin"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=normalise_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", Role.ADMIN)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Email is the login, unique across the installation, stored lower-case.
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="users", null=True)
    # The ID the phone system knows this person by; several users may share one.
    agent_id = models.CharField(max_length=64, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.SPECIALIST)
    is_active = models.BooleanField(default=True)  # type: ignore[misc]
    date_joined = models.DateTimeField(auto_now_add=True)
    # Set when an admin chose the password (a new user, a reset by hand): the user picks their
    # own before any other page (calldesk.accounts.passwords).
    must_change_password = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []  # type: ignore[misc]

    class Meta:
        indexes = [
            # The telephony URL's agent lookup: agent ID within one organization.
            models.Index(fields=["organization", "agent_id"], name="user_org_agent_idx"),
        ]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name or self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)

    @property
    def is_staff(self) -> bool:
        return self.is_superuser

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def is_supervisor(self) -> bool:
        """Supervisors and admins see and edit every report of their organization."""
        return self.role in (Role.SUPERVISOR, Role.ADMIN)

    @property
    def is_org_admin(self) -> bool:
        return self.role == Role.ADMIN


class LoginAttempt(models.Model):
    """One try at the login page, for throttling (calldesk.accounts.throttle). Kept for the
    throttle's window only; who logged in when is the access audit's record."""

    class Outcome(models.TextChoices):
        SUCCESS = "success"
        FAILURE = "failure"
        THROTTLED = "throttled"  # refused before the password was checked; not counted
        UNLOCKED = "unlocked"  # an admin lifted the locks on this email
        CODE_FAILURE = "code_failure"  # a wrong two-factor code, the password being right
        TOKEN_FAILURE = "token_failure"  # a wrong API token from this address (email empty)

    at = models.DateTimeField(db_index=True)
    email = models.CharField(max_length=254)  # as typed, lower-case: unknown emails are throttled too
    address = models.GenericIPAddressField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)

    class Meta:
        indexes = [
            # Failures of one email (from one address, or any) in the window.
            models.Index(fields=["email", "at"], name="loginattempt_email_at_idx"),
            # Failures from one address across emails (password spraying).
            models.Index(fields=["address", "at"], name="loginattempt_address_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} {self.email} from {self.address} at {self.at:%Y-%m-%d %H:%M:%S}"


class TwoFactorDevice(models.Model):
    """A user's authenticator app: the shared TOTP secret, confirmed once a code from it was typed."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="two_factor")
    # The shared secret signs the user in with their password: sealed like callers' data, so
    # a dump of the database does not hand out everyone's second factor.
    secret = SealedTextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last time step whose code was accepted: a code is good once only, even within its 30 s.
    last_step = models.BigIntegerField(default=-1)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"two-factor of {self.user}"


class RecoveryCode(models.Model):
    """One single-use code for signing in without the phone. Only its hash is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    # SHA-256 of the code: the codes are long random strings, so a fast hash is enough.
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "code_hash"], name="recovery_code_user_idx")]

    def __str__(self) -> str:
        return f"recovery code of {self.user}"
