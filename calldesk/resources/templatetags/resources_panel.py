"""`report|has_referrals`: whether a report's form has a referrals field, so the editor carries
the resource panel (and its script) only where it is used."""

from __future__ import annotations

from typing import Any

from django import template

from calldesk.callforms.definition import FieldType

register = template.Library()


@register.filter
def has_referrals(report: Any) -> bool:
    definition = getattr(getattr(report, "revision", None), "definition", None)
    return bool(definition and any(item.type == FieldType.REFERRALS for item in definition.fields))
