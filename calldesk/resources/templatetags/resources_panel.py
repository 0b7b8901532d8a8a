"""`report|has_referrals`: whether a report's form has a referrals field, so the editor carries
the resource panel (and its script) only where it is used."""

from __future__ import annotations

from typing import Any

from django import template

from calldesk.callforms.definition import FieldType
from calldesk.reports.forms import PREFIX
from calldesk.resources.referral_stats import NEAR_KEYS, place_field

register = template.Library()


@register.filter
def has_referrals(report: Any) -> bool:
    definition = getattr(getattr(report, "revision", None), "definition", None)
    return bool(definition and any(item.type == FieldType.REFERRALS for item in definition.fields))


@register.filter
def place_input(report: Any) -> str:
    """The id of the form's input that holds the caller's postal code or city, if the form asks
    one (the same place field the dashboards count unmet needs by): the panel searches near it
    when no other place was typed."""
    definition = getattr(getattr(report, "revision", None), "definition", None)
    found = place_field(definition.fields) if definition else None
    return f"id_{PREFIX}{found.key}" if found is not None and found.key.lower() in NEAR_KEYS else ""
