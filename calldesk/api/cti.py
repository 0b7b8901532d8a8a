"""`/api/v1/cti/{token}`: Zammad's generic CTI events, so a phone system set up for Zammad works
by changing the host and token.

An adapter only: each event becomes the same service call the API makes (`record_call`,
`answer_by_call_id`, `hang_up_by_call_id`). The token is part of the path, as in Zammad; the
path is scrubbed from every log (calldesk.lib.privacy).
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from calldesk.accounts.models import Organization
from calldesk.api.auth import checked_token
from calldesk.api.bodies import ApiError
from calldesk.api.schemas import WRITE_ERRORS, CtiEventIn, CtiOut, text
from calldesk.callforms.models import CallForm
from calldesk.configure.models import ApiToken
from calldesk.telephony.lifecycle import answer_by_call_id, hang_up_by_call_id, record_call
from calldesk.telephony.models import Call
from calldesk.telephony.services import MissingReportVer, UnknownForm, find_agent

router = Router(tags=["Zammad-compatible CTI"])


def path_token(request: HttpRequest) -> ApiToken | None:
    """The token is the last part of the path, checked before the body is read."""
    match = request.resolver_match
    return checked_token(request, str(match.kwargs.get("token", ""))) if match is not None else None


@router.post(
    "/{token}",
    auth=path_token,
    response={200: CtiOut, 202: CtiOut, **WRITE_ERRORS},
    summary="A Zammad generic CTI event (newCall, answer, hangup)",
)
def cti_event(request: HttpRequest, token: str, payload: CtiEventIn) -> Status:
    """JSON or form-encoded, with Zammad's parameter names. `answer` opens the draft for the
    answering specialist (`answeringNumber`, else `user`: an email address or agent ID)."""
    api_token = request.auth  # type: ignore[attr-defined]
    assert isinstance(api_token, ApiToken)
    org = api_token.organization
    call_id = text(payload.callId)
    if payload.event == "newCall":
        recorded = _new_call(org, payload)
        return Status(200, CtiOut(id=recorded.public_id, state=recorded.state))
    if payload.event == "hangup":
        ended = hang_up_by_call_id(org, call_id, payload.cause, timezone.now())
        if ended is None:
            return Status(202, CtiOut(state="pending"))
        return Status(200, CtiOut(id=ended.public_id, state=ended.state))
    answered = answer_by_call_id(org, call_id, _answering(org, payload), timezone.now())
    if answered is None:  # before its newCall (events overtake each other): kept for it
        return Status(202, CtiOut(state="pending"))
    return Status(200, CtiOut(id=answered.public_id, state=answered.state))


def _new_call(org: Organization, payload: CtiEventIn) -> Call:
    caller, called = text(payload.from_), text(payload.to)
    if payload.direction == "out":  # the specialist calls out: the other party is `to`
        caller, called = called, caller
    pairs = [
        ("reportVer", text(payload.reportVer) or _first_form(org)),
        ("ani", caller),
        ("dnis", called),
        ("callId", text(payload.callId)),
        ("direction", payload.direction),
        ("queue", text(payload.queue)),
        *(("user", name) for name in payload.user),
    ]
    try:
        return record_call(org, [(name, value) for name, value in pairs if value]).call
    except (MissingReportVer, UnknownForm) as error:
        raise ApiError(
            422, "No call report form to record the call with.", {"reportVer": "no active form of this organization"}
        ) from error


def _first_form(org: Organization) -> str:
    """Zammad knows no forms: without reportVer, the organization's first active form."""
    form = CallForm.objects.filter(organization=org, retired_at__isnull=True).order_by("id").first()
    return form.report_ver if form is not None else ""


def _answering(org: Organization, payload: CtiEventIn) -> str:
    """Who picked up, as sent: answeringNumber first, then each `user`, each read like `agent`;
    the first that names one specialist (else the first sent, read again when its call comes)."""
    sent = [value for value in (text(payload.answeringNumber), *payload.user) if value.strip()]
    for value in sent:
        if find_agent(org, value, []) is not None:
            return value
    return sent[0] if sent else ""
