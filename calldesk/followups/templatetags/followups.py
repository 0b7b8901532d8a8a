"""Template tags for the follow-ups' small places in other pages: the menu, the report
editor's panel and the dashboards."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template

from calldesk.accounts.models import Organization, User
from calldesk.followups.panel import panel_context
from calldesk.followups.services import overdue_count
from calldesk.followups.stats import Week, weeks

register = template.Library()


@register.simple_tag(takes_context=True)
def overdue_follow_ups(context: dict[str, Any]) -> int:
    user = context.get("user")
    if not isinstance(user, User) or user.organization_id is None:
        return 0
    # Not on the report editor, the page every screen pop lands on: during a call the count is
    # not what the specialist needs, and the pop pays for every query.
    if context.get("report_url"):
        return 0
    return overdue_count(user)


@register.inclusion_tag("followups/_panel.html", takes_context=True)
def follow_up_panel(context: Any, report: Any) -> dict[str, Any]:
    user = context.get("user")
    if not isinstance(user, User):
        return {"shown": False}
    found = panel_context(user, report)
    found["csrf_token"] = context.get("csrf_token")
    return found


@register.simple_tag
def follow_up_weeks(organization: Organization, start: date, end: date) -> list[Week]:
    return weeks(organization, start, end)
