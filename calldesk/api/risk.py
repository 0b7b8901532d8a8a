"""`/api/risk-events`: the organization's imminent-risk events and their outcomes (read only).

An API token reads as a supervisor (calldesk.api.auth.token_reader), as the pages let supervisors
see every risk event; the emergency record's reference and notes (caller data) are not sent.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema

from calldesk.api.auth import token_of
from calldesk.api.schemas import READ_ERRORS
from calldesk.risk.models import EmergencyRecord, RiskEvent

router = Router(tags=["risk"])
PAGE = 100


class EmergencyOut(Schema):
    consent: str
    service: str
    contactedAt: datetime | None
    dispatchedAt: datetime | None
    confirmedAt: datetime | None
    outcome: str


class RiskEventOut(Schema):
    id: UUID
    report: UUID
    line: str
    raisedAt: datetime
    raisedBy: str
    takenAt: datetime | None
    takenBy: str | None
    takenOverAt: datetime | None
    emergency: EmergencyOut | None


class RiskEventPageOut(Schema):
    items: list[RiskEventOut] = Field(description="Newest first, at most 100.")


def risk_out(risk: RiskEvent) -> RiskEventOut:
    record: EmergencyRecord | None = getattr(risk.report, "emergency", None)
    return RiskEventOut(
        id=risk.public_id,
        report=risk.report.public_id,
        line=risk.line,
        raisedAt=risk.raised_at,
        raisedBy=risk.raised_by.display_name if risk.raised_by is not None else "",
        takenAt=risk.taken_at,
        takenBy=risk.taken_by.display_name if risk.taken_by is not None else None,
        takenOverAt=risk.taken_over_at,
        emergency=EmergencyOut(
            consent=record.consent,
            service=record.service,
            contactedAt=record.contacted_at,
            dispatchedAt=record.dispatched_at,
            confirmedAt=record.confirmed_at,
            outcome=record.outcome,
        )
        if record is not None
        else None,
    )


def _events(request: HttpRequest):  # type: ignore[no-untyped-def]
    return RiskEvent.objects.filter(organization=token_of(request).organization).select_related(
        "report__emergency", "raised_by", "taken_by"
    )


@router.get("", response={200: RiskEventPageOut, **READ_ERRORS}, summary="The organization's risk events")
def list_risk_events(request: HttpRequest) -> RiskEventPageOut:
    return RiskEventPageOut(items=[risk_out(risk) for risk in _events(request).order_by("-raised_at")[:PAGE]])


@router.get("/{risk_id}", response={200: RiskEventOut, **READ_ERRORS}, summary="One risk event")
def get_risk_event(request: HttpRequest, risk_id: str) -> RiskEventOut:
    try:
        public_id = UUID(risk_id)
    except ValueError:
        raise Http404("No such risk event.") from None
    risk = _events(request).filter(public_id=public_id).first()
    if risk is None:
        raise Http404("No such risk event.")
    return risk_out(risk)
