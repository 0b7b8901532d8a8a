"""`/api/callers`: caller profiles for phone systems. `check` answers an IVR whether a
number is blocked and nothing else; reading and flagging follow the pages' roles, an API token
acting as the organization's supervisor (like every other endpoint, `api.auth.token_reader`).

Numbers travel in bodies, except `check`'s `ani`, which IVRs send in the query string:
every log scrubs query strings (calldesk.lib.privacy), so it never reaches one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router, Status
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from calldesk.api.auth import token_of, token_reader
from calldesk.api.bodies import ApiError
from calldesk.api.schemas import READ_ERRORS, WRITE_ERRORS
from calldesk.audit.services import record_access
from calldesk.callers import services
from calldesk.callers.models import CallerProfile
from calldesk.callers.services import MAX_ALERT, MAX_BLOCK_HOURS, CallerError
from calldesk.configure.models import ApiToken
from calldesk.lib.phones import read_phone
from calldesk.lib.times import parse_time

router = Router(tags=["callers"])


class CheckOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    blocked: bool
    until: datetime | None = Field(description="When the block ends; null when permanent or not blocked.")


class LookupIn(BaseModel):
    ani: StrictStr = Field(description="The caller's number, as the phone system has it.", max_length=64)


class FlagIn(BaseModel):
    kind: Literal["alert", "block", "unblock"]
    text: StrictStr = Field("", description="The alert (kind alert).", max_length=MAX_ALERT)
    expiresAt: StrictStr | None = Field(None, description="When the alert ends (ISO-8601); none: until removed.")
    hours: StrictInt | StrictStr | None = Field(
        None, description=f"How long the block lasts, 1 to {MAX_BLOCK_HOURS} hours; none: permanently."
    )


class AlertOut(BaseModel):
    id: str
    text: str
    expiresAt: datetime | None
    active: bool


class ProfileOut(BaseModel):
    id: UUID
    preferredName: str
    instructions: str
    alerts: list[AlertOut]
    blocked: bool
    blockedUntil: datetime | None
    numbers: list[str]
    updatedAt: datetime


@router.get("/check", response={200: CheckOut, **READ_ERRORS}, summary="Is this number blocked?")
def check(request: HttpRequest, ani: str = "") -> CheckOut:
    """`{"blocked": true|false, "until": ISO time or null}` and nothing else, for an IVR.
    A withheld or unreadable number is not blocked."""
    org = token_of(request).organization
    if not ani.strip():
        raise ApiError(422, "ani is missing.", {"ani": "the caller's number"})
    reading = read_phone(ani[:64], org.phone_region)
    if not reading.ok:
        return CheckOut(blocked=False, until=None)
    blocked, until = services.check_number(org.pk, reading.e164)
    return CheckOut(blocked=blocked, until=until)


@router.post("/lookup", response={200: ProfileOut, **WRITE_ERRORS}, summary="A caller's profile, by number")
def lookup(request: HttpRequest, payload: LookupIn) -> ProfileOut:
    token = token_of(request)
    reading = read_phone(payload.ani, token.organization.phone_region)
    if not reading.ok:
        raise ApiError(422, "The number could not be read.", {"ani": reading.problem or "not a phone number"})
    _audit(request, token, "phone.search", phone_e164=reading.e164)
    profile = services.find_profile(token.organization_id, reading.e164)
    if profile is None:
        raise Http404("No profile for this number.")
    return _read(request, token, profile)


@router.get("/{profile_id}", response={200: ProfileOut, **READ_ERRORS}, summary="A caller's profile")
def get_profile(request: HttpRequest, profile_id: str) -> ProfileOut:
    token = token_of(request)
    return _read(request, token, _profile(token, profile_id))


@router.post("/{profile_id}/flags", response={201: ProfileOut, **WRITE_ERRORS}, summary="Flag a caller")
def flag(request: HttpRequest, profile_id: str, payload: FlagIn) -> Status:
    """`alert`: add an alert (`text`, optional `expiresAt`); `block`: block the caller for
    `hours`, or permanently without; `unblock`: lift the block."""
    token = token_of(request)
    profile = _profile(token, profile_id)
    expires_at = None
    if payload.expiresAt:
        expires_at = parse_time(payload.expiresAt[:64], token.organization.zone)
        if expires_at is None:
            raise ApiError(422, "Some values are not valid; see errors.", {"expiresAt": "not a time (ISO-8601)"})
    hours = payload.hours
    if isinstance(hours, str):  # form-encoded bodies carry text
        hours = int(hours) if hours.strip().isascii() and hours.strip().isdigit() else -1
    try:
        services.flag_caller(
            token_reader(token), profile, payload.kind, text=payload.text, expires_at=expires_at, hours=hours
        )
    except CallerError as error:
        raise ApiError(422, "Some values are not valid; see errors.", {_field(error.field): error.message}) from None
    profile.refresh_from_db()
    return Status(201, _out(profile))


_FIELDS = {"expires_at": "expiresAt", "text": "text", "hours": "hours", "kind": "kind"}


def _field(name: str) -> str:
    return _FIELDS.get(name, "body")


def _profile(token: ApiToken, profile_id: str) -> CallerProfile:
    try:
        public_id = UUID(profile_id)
    except ValueError:
        raise Http404("No such caller profile.") from None
    profile = CallerProfile.objects.filter(
        organization_id=token.organization_id, public_id=public_id, redacted_at__isnull=True
    ).first()
    if profile is None:
        raise Http404("No such caller profile.")
    return profile


def _audit(request: HttpRequest, token: ApiToken, action: str, **what: Any) -> None:
    record_access(
        action,
        request=request,
        organization=token.organization_id,
        actor=f"API token “{token.name}”",
        page="api",
        **what,
    )


def _read(request: HttpRequest, token: ApiToken, profile: CallerProfile) -> ProfileOut:
    _audit(request, token, "caller.view", caller=str(profile.public_id))
    return _out(profile)


def _out(profile: CallerProfile) -> ProfileOut:
    now = timezone.now()
    blocked, until = profile.blocked_until(now)
    return ProfileOut(
        id=profile.public_id,
        preferredName=profile.preferred_name,
        instructions=profile.instructions,
        alerts=[
            AlertOut(id=alert.public_id, text=alert.text, expiresAt=alert.expires_at, active=alert.is_active(now))
            for alert in profile.alert_list()
        ],
        blocked=blocked,
        blockedUntil=until,
        numbers=[number.number_e164 for number in profile.numbers.all()],
        updatedAt=profile.updated_at,
    )
