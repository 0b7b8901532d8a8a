"""What the dashboards count of referrals: services given per term, per service and per
organization, and unmet needs per term, from the snapshots reports keep (so the figures stay
the same after the directory changes)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import QuerySet

from calldesk.callforms.definition import FieldType
from calldesk.lib.sealed import is_sealed_value
from calldesk.reports.models import CallReport

TOP = 20


def referral_counts(reports: QuerySet[CallReport], fields: list[Any]) -> list[tuple[str, str, dict[str, int]]]:
    """(chart id, title, counts) for each referral chart; none when no form has a referrals field."""
    keys = [item.key for item in fields if item.type == FieldType.REFERRALS]
    if not keys:
        return []
    per_term: Counter[str] = Counter()
    per_service: Counter[str] = Counter()
    per_organization: Counter[str] = Counter()
    unmet: Counter[str] = Counter()
    for values in reports.values_list("values", flat=True).iterator(chunk_size=2000):
        for key in keys:
            value = (values or {}).get(key)
            if not isinstance(value, dict) or is_sealed_value(value):
                continue
            for service in value.get("services", []):
                per_service[service.get("name", "")] += 1
                per_organization[service.get("organization", "")] += 1
                for term in service.get("terms", []) or [""]:
                    per_term[term] += 1
            for need in value.get("unmet", []):
                unmet[need.get("name", "")] += 1
    return [
        ("referrals_term", "Referrals per need (term)", dict(per_term.most_common(TOP))),
        ("referrals_service", "Referrals per service", dict(per_service.most_common(TOP))),
        ("referrals_organization", "Referrals per organization", dict(per_organization.most_common(TOP))),
        ("unmet_term", "Unmet needs per term", dict(unmet.most_common(TOP))),
    ]
