"""The risk parts other apps' pages include: the editor's panel, the console's alerts, the dashboard's counts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django import template

from calldesk.accounts.models import Organization, User
from calldesk.reports.models import CallReport
from calldesk.reports.search import day_range
from calldesk.risk import services

register = template.Library()


@register.inclusion_tag("risk/_editor_panel.html", takes_context=True)
def risk_panel(context: Any, report: CallReport) -> dict[str, Any]:
    """The editor's risk panel: raise it, or where it stands and the emergency record."""
    from calldesk.risk.views import panel_context

    found = panel_context(report, context.get("user"))
    found["csrf_token"] = context.get("csrf_token")
    return found


@register.simple_tag
def open_risk_alerts(user: User) -> list[dict[str, Any]]:
    """The alerts nobody took yet, as the console opens (supervisors only)."""
    if not user.is_supervisor or user.organization_id is None:
        return []
    return [services.console_data(risk) for risk in services.open_risks(user.organization_id)]


@register.simple_tag
def risk_summary(organization: Organization, start: date, end: date) -> services.RiskSummary:
    """The dashboard's period: whole days in the organization's zone, as its other counts."""
    lower, upper = day_range(start, end, organization.zone)
    assert lower is not None and upper is not None  # the dashboard's form always gives both
    return services.summarize(organization.pk, lower, upper)


@register.filter
def duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


@register.filter
def in_zone(value: datetime | None, zone: str) -> str:
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    return timezone.localtime(value, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S") if value else ""
