"""`/api/calls`: a phone system posts a call, its hang-up, and reads it back."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router, Status

from calldesk.accounts.models import Organization, User
from calldesk.api.auth import token_of
from calldesk.api.bodies import ApiError
from calldesk.api.schemas import (
    READ_ERRORS,
    WRITE_ERRORS,
    AnswerByCallIdIn,
    AnswerIn,
    CallIn,
    CallOut,
    HangupByCallIdIn,
    HangupIn,
    PendingAnswerOut,
    PendingHangupOut,
    text,
)
from calldesk.lib.times import read_call_start
from calldesk.reports.models import CallReport
from calldesk.telephony.lifecycle import answer_by_call_id, answer_call, hang_up, hang_up_by_call_id, record_call
from calldesk.telephony.models import Call
from calldesk.telephony.reading import read_params
from calldesk.telephony.services import MissingReportVer, UnknownForm, find_agent

router = Router(tags=["calls"])
AGENT_NOTICE = "Agent `"  # how telephony.reading's agent problems begin


@router.post("", response={200: CallOut, 201: CallOut, **WRITE_ERRORS}, summary="Record a call (and open its draft)")
def post_call(request: HttpRequest, payload: CallIn) -> Status:
    """Records the call; when `agent` names exactly one specialist, opens their draft and pushes
    it to their console. The same `callId` again answers 200 with the same call."""
    org = token_of(request).organization
    try:
        recorded = record_call(org, payload.pairs())
    except MissingReportVer as error:
        raise ApiError(422, "reportVer is missing.", {"reportVer": str(error)}) from error
    except UnknownForm as error:
        raise ApiError(
            422, "No call report form with this reportVer.", {"reportVer": "no active form of this organization"}
        ) from error
    return Status(201 if recorded.created else 200, call_out(request, recorded.call, recorded.report))


@router.post(
    "/hangup", response={200: CallOut, 202: PendingHangupOut, **WRITE_ERRORS}, summary="A call ended (by its callId)"
)
def post_hangup_by_call_id(request: HttpRequest, payload: HangupByCallIdIn) -> Status:
    """A callId not recorded yet: the hang-up is kept (202) and joins its call when it arrives."""
    org = token_of(request).organization
    external_id = text(payload.callId)
    call = hang_up_by_call_id(org, external_id, payload.cause, _ended_at(org, payload))
    if call is None:
        return Status(
            202,
            PendingHangupOut(
                callId=external_id, state="pending", message="No call with this callId yet; the hang-up is kept for it."
            ),
        )
    return Status(200, call_out(request, call, CallReport.objects.filter(call=call).select_related("agent").first()))


@router.post(
    "/answer",
    response={200: CallOut, 202: PendingAnswerOut, **WRITE_ERRORS},
    summary="A call was answered (by its callId)",
)
def post_answer_by_call_id(request: HttpRequest, payload: AnswerByCallIdIn) -> Status:
    """A callId not recorded yet: the answer is kept (202) and applies when its call arrives."""
    org = token_of(request).organization
    external_id = text(payload.callId)
    at = _time_of(org, payload.answeredAt, "answeredAt")
    call = answer_by_call_id(org, external_id, text(payload.agent), at)
    if call is None:
        return Status(
            202,
            PendingAnswerOut(
                callId=external_id, state="pending", message="No call with this callId yet; the answer is kept for it."
            ),
        )
    return Status(200, _call_out(request, call))


@router.get("/{call_id}", response={200: CallOut, **READ_ERRORS}, summary="A call and its state")
def get_call(request: HttpRequest, call_id: str) -> CallOut:
    call = _call(token_of(request).organization, call_id)
    return call_out(request, call, CallReport.objects.filter(call=call).select_related("agent").first())


@router.post("/{call_id}/hangup", response={200: CallOut, **WRITE_ERRORS}, summary="A call ended")
def post_hangup(request: HttpRequest, call_id: str, payload: HangupIn) -> CallOut:
    """Idempotent: a call that ended stays as it ended; a repeated or late hang-up changes nothing."""
    org = token_of(request).organization
    call = _call(org, call_id)
    hang_up(call, payload.cause, _ended_at(org, payload))
    return call_out(request, call, CallReport.objects.filter(call=call).select_related("agent").first())


@router.post("/{call_id}/answer", response={200: CallOut, **WRITE_ERRORS}, summary="A call was answered")
def post_answer(request: HttpRequest, call_id: str, payload: AnswerIn) -> CallOut:
    """The call is talking; the answering `agent` gets its draft. Idempotent: the first answer
    counts, and an ended call stays ended."""
    org = token_of(request).organization
    call = _call(org, call_id)
    at = _time_of(org, payload.answeredAt, "answeredAt")
    answer_call(call, find_agent(org, text(payload.agent), []), at)
    return _call_out(request, call)


def _call_out(request: HttpRequest, call: Call) -> CallOut:
    call.refresh_from_db()
    return call_out(request, call, CallReport.objects.filter(call=call).select_related("agent").first())


def _call(org: Organization, call_id: str) -> Call:
    """The organization's call with this public id, or 404 (the same for every other case)."""
    try:
        public_id = UUID(call_id)
    except ValueError:
        raise Http404("No such call.") from None
    call = Call.objects.filter(organization=org, public_id=public_id).select_related("form").first()
    if call is None:
        raise Http404("No such call.")
    return call


def _ended_at(org: Organization, payload: HangupIn) -> datetime:
    return _time_of(org, payload.endedAt, "endedAt")


def _time_of(org: Organization, sent: str | int | None, name: str) -> datetime:
    """A time sent as `name`, read like callStart; now when not sent; 422 when unreadable."""
    reading = read_call_start(text(sent), org.zone, timezone.now())
    if reading.problem:
        raise ApiError(422, f"{name} could not be read.", {name: "not a time Calldesk can read"})
    return reading.when


def call_out(request: HttpRequest, call: Call, report: CallReport | None) -> CallOut:
    agent = report.agent if report is not None else None
    return CallOut.model_validate(
        {
            "id": call.public_id,
            "callId": call.external_id,
            "reportVer": call.form.report_ver,
            "state": call.state,
            "receivedAt": call.received_at,
            "answeredAt": call.answered_at,
            "answeredBy": _person(call.answered_by) if call.answered_by_id else None,
            "endedAt": call.ended_at,
            "endReason": call.end_reason,
            "agent": _person(agent) if agent else None,
            "unassignedReason": "" if report is not None else unassigned_reason(call),
            "draft": {
                "id": report.public_id,
                "status": report.status,
                "editorUrl": request.build_absolute_uri(report.get_absolute_url()),
            }
            if report is not None
            else None,
            "notices": call.notices,
        }
    )


def _person(user: User | None) -> dict[str, str] | None:
    return {"email": user.email, "name": user.name, "agentId": user.agent_id} if user is not None else None


def unassigned_reason(call: Call) -> str:
    if not read_params(call.sent_pairs()).get("agent"):
        return "No agent was sent: the call waits for a specialist to take it."
    found = [notice for notice in call.notices if notice.startswith(AGENT_NOTICE)]
    return found[0] if found else "The agent sent matches no single specialist."
