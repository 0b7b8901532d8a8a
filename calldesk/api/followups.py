"""`/api/followups`: the organization's follow-ups, scheduling one and recording an attempt.

A token acts like a supervisor of its organization (as it reads reports); what it writes is
recorded as done by the token, by name, in the report's history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from ninja import Query, Router, Status
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from calldesk.accounts.models import User
from calldesk.api.auth import token_of
from calldesk.api.bodies import ApiError
from calldesk.api.schemas import READ_ERRORS, WRITE_ERRORS, ErrorOut
from calldesk.configure.models import ApiToken
from calldesk.followups import services
from calldesk.followups.models import REASON_MAX, FollowUp, Method, Outcome
from calldesk.lib.times import parse_time
from calldesk.reports.models import CallReport

router = Router(tags=["follow-ups"])
PAGE_MAX = 200
BAD_CURSOR = "The cursor is not one this API gave."


class FollowUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    report: UUID = Field(description="The id of the report the follow-up is of.")
    dueAt: StrictStr = Field(
        description="ISO-8601; without an offset, a wall-clock time in the organization's zone.",
        examples=["2026-12-07T09:00"],
    )
    assignee: StrictStr | None = Field(None, description="The email of the person who does it; null: the pool.")
    method: Literal["call", "text", "email"] = Field("call", description="How the person is reached.")
    reason: StrictStr = Field("", max_length=REASON_MAX, description="Why (sealed at rest).")


class AttemptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["reached", "no_answer", "left_message", "wrong_number"]
    note: StrictStr = Field("", max_length=REASON_MAX)


class AttemptOut(BaseModel):
    outcome: str
    note: str
    by: str
    recordedAt: datetime | None


class FollowUpOut(BaseModel):
    id: UUID
    report: UUID
    reportVer: str
    dueAt: datetime
    assignee: str | None = Field(description="The assignee's email; null: the pool.")
    method: str
    reason: str
    state: str
    maxAttempts: int
    attempts: list[AttemptOut]
    createdAt: datetime
    closedAt: datetime | None


class FollowUpPageOut(BaseModel):
    items: list[FollowUpOut]
    next: str | None = Field(description="Pass as `after` for the next page; null on the last.")


class FollowUpQuery(BaseModel):
    state: Literal["open", "done", "unreachable", "closed", "any"] = "open"
    assignee: str = Field("", description="An email, or `pool`.")
    after: str = Field("", description="The `next` of the previous page.")
    limit: int = Field(50, ge=1, le=PAGE_MAX)


def _out(follow_up: FollowUp) -> FollowUpOut:
    return FollowUpOut(
        id=follow_up.public_id,
        report=follow_up.report.public_id,
        reportVer=follow_up.form.report_ver,
        dueAt=follow_up.due_at,
        assignee=follow_up.assignee.email if follow_up.assignee else None,
        method=follow_up.method,
        reason=follow_up.reason or "",
        state=follow_up.state,
        maxAttempts=follow_up.max_attempts,
        attempts=[
            AttemptOut(
                outcome=a.outcome,
                note=a.note or "",
                by=a.by.email if a.by else a.via,
                recordedAt=a.recorded_at,
            )
            for a in follow_up.attempts.select_related("by")
        ],
        createdAt=follow_up.created_at,
        closedAt=follow_up.closed_at,
    )


def _mine(token: ApiToken) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(organization=token.organization).select_related("report", "form", "assignee")


def _person(token: ApiToken, email: str, field: str) -> User:
    found = User.objects.filter(organization=token.organization, email=email.strip().lower(), is_active=True).first()
    if found is None:
        raise ApiError(422, "Some values are not valid; see errors.", {field: "no active person with this email"})
    return found


def _by(token: ApiToken) -> str:
    return f"API token “{token.name}”"


def _get(token: ApiToken, follow_up_id: str) -> FollowUp:
    try:
        public_id = UUID(follow_up_id)
    except ValueError:
        raise Http404("No such follow-up.") from None
    found = _mine(token).filter(public_id=public_id).first()
    if found is None:
        raise Http404("No such follow-up.")
    return found


@router.get("", response={200: FollowUpPageOut, **READ_ERRORS}, summary="The organization's follow-ups")
def list_follow_ups(request: HttpRequest, query: Query[FollowUpQuery]) -> FollowUpPageOut:
    """Soonest due first; `state` open by default (`any` for all), `assignee` an email or `pool`."""
    token = token_of(request)
    found = _mine(token)
    if query.state != "any":
        found = found.filter(state=query.state)
    if query.assignee == "pool":
        found = found.filter(assignee__isnull=True)
    elif query.assignee:
        found = found.filter(assignee__email=query.assignee.strip().lower())
    if query.after:
        try:
            moment_text, _, pk_text = query.after.partition("|")
            moment, pk = datetime.fromisoformat(moment_text), int(pk_text)
        except ValueError:
            raise ApiError(422, BAD_CURSOR, {"after": "not a cursor of this list"}) from None
        if moment.tzinfo is None:
            raise ApiError(422, BAD_CURSOR, {"after": "not a cursor of this list"})
        found = found.filter(Q(due_at__gt=moment) | Q(due_at=moment, pk__gt=pk))
    rows = list(found.order_by("due_at", "pk")[: query.limit + 1])
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    following = f"{rows[-1].due_at.isoformat()}|{rows[-1].pk}" if more and rows else None
    return FollowUpPageOut(items=[_out(item) for item in rows], next=following)


@router.get("/{follow_up_id}", response={200: FollowUpOut, **READ_ERRORS}, summary="One follow-up")
def get_follow_up(request: HttpRequest, follow_up_id: str) -> FollowUpOut:
    return _out(_get(token_of(request), follow_up_id))


@router.post("", response={201: FollowUpOut, **WRITE_ERRORS}, summary="Schedule a follow-up of a report")
def post_follow_up(request: HttpRequest, payload: FollowUpIn) -> Status:
    token = token_of(request)
    organization = token.organization
    report = CallReport.objects.filter(organization=organization, public_id=payload.report).first()
    if report is None:
        raise ApiError(422, "Some values are not valid; see errors.", {"report": "no report of this organization"})
    due_at = parse_time(payload.dueAt.strip(), organization.zone)
    if due_at is None:
        raise ApiError(422, "Some values are not valid; see errors.", {"dueAt": "not a time (ISO-8601)"})
    assignee = _person(token, payload.assignee, "assignee") if payload.assignee else None
    try:
        follow_up = services.schedule_follow_up(
            report,
            None,
            due_at=due_at,
            assignee=assignee,
            method=Method(payload.method),
            reason=payload.reason,
            via=_by(token),
        )
    except services.FollowUpRefused as refused:
        raise ApiError(422, refused.message, {refused.field or "report": refused.message}) from None
    return Status(201, _out(_get(token, str(follow_up.public_id))))


@router.post(
    "/{follow_up_id}/attempts",
    response={201: FollowUpOut, 409: ErrorOut, **WRITE_ERRORS},
    summary="Record an attempt's outcome",
)
def post_attempt(request: HttpRequest, follow_up_id: str, payload: AttemptIn) -> Status:
    """Reached: the follow-up is done; the last attempt without reaching the person closes it
    as unreachable. A follow-up no longer open answers 409."""
    token = token_of(request)
    follow_up = _get(token, follow_up_id)
    try:
        services.record_attempt(follow_up, None, Outcome(payload.outcome), note=payload.note, via=_by(token))
    except services.FollowUpRefused as refused:
        raise ApiError(409, refused.message) from None
    return Status(201, _out(_get(token, follow_up_id)))
