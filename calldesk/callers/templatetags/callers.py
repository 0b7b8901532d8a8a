"""`{% caller_pop report as pop %}`: the caller's profile, alerts and block for a report's
number, so the editor's template shows them with one include and no change to its view."""

from __future__ import annotations

from typing import Any

from django import template

from calldesk.callers.services import FLAG, PopView, pop_view
from calldesk.reports.services import may_have

register = template.Library()


@register.inclusion_tag("callers/_editor_panel.html", takes_context=True)
def caller_panel(context: Any, report: Any) -> dict[str, Any]:
    """The caller's block, alerts and profile card, first on the editor and the report's page."""
    return {"report": report, "user": context.get("user"), "pop": caller_pop(report)}


@register.simple_tag
def caller_pop(report: Any) -> PopView:
    if report is None or not getattr(report, "phone_hash", "") or not may_have(report, FLAG):
        return PopView()
    return pop_view(report.organization_id, report.phone_hash)
