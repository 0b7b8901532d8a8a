"""`{% caller_pop report as pop %}`: the caller's profile, alerts and block for a report's
number, so the editor's template shows them with one include and no change to its view."""

from __future__ import annotations

from typing import Any

from django import template

from calldesk.callers.services import PopView, pop_view

register = template.Library()


@register.simple_tag
def caller_pop(report: Any) -> PopView:
    if report is None or not getattr(report, "phone_hash", ""):
        return PopView()
    return pop_view(report.organization_id, report.phone_hash)
