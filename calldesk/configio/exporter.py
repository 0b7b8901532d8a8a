"""`calldesk config export`: the installation's configuration as one document.

Everything is written in a fixed order (organizations by slug, users by email, forms by
reportVer, mappings in their order) so an export, imported into an empty installation and
exported again, gives the same bytes.
"""

from __future__ import annotations

from typing import Any

from calldesk.accounts.models import Organization
from calldesk.callforms.models import CallForm
from calldesk.configio.schema import FORMAT_VERSION


class UnknownOrganization(LookupError):
    pass


def export_document(slug: str | None = None, with_callers: bool = False) -> dict[str, Any]:
    """`with_callers`: also the caller profiles, in clear (only when asked: they are callers' data)."""
    organizations = Organization.objects.order_by("slug")
    if slug is not None:
        organizations = organizations.filter(slug=slug)
        if not organizations.exists():
            raise UnknownOrganization(f"there is no organization `{slug}`")
    return {"version": FORMAT_VERSION, "organizations": [_organization(org, with_callers) for org in organizations]}


def _organization(org: Organization, with_callers: bool = False) -> dict[str, Any]:
    document = {
        "slug": org.slug,
        "name": org.name,
        "time_zone": org.time_zone,
        "phone_region": org.phone_region,
        "idle_timeout_minutes": org.idle_timeout_minutes,
        "retention_days": org.retention_days,
        "two_factor_roles": org.roles_requiring_two_factor,
        "users": [
            {
                "email": user.email,
                "name": user.name,
                "role": user.role,
                "agent_id": user.agent_id,
                "active": user.is_active,
                "password_hash": user.password,
            }
            for user in org.users.order_by("email")
        ],
        "forms": [_form(form) for form in org.forms.order_by("report_ver").prefetch_related("mappings")],
    }
    if with_callers:
        from calldesk.callers.configio import export_callers

        document["callers"] = export_callers(org)
    return document


def _form(form: CallForm) -> dict[str, Any]:
    definition = form.current_revision().definition.to_json()
    return {
        "report_ver": form.report_ver,
        "name": form.name,
        "retired": form.is_retired,
        "fields": definition["fields"],
        "call_types": definition["call_types"],
        **({"follow_up_attempts": definition["follow_up_attempts"]} if "follow_up_attempts" in definition else {}),
        "mappings": [_mapping(m.parameter, m.value, m.field_key, m.field_value) for m in form.mappings.all()],
    }


def _mapping(parameter: str, value: str, field_key: str, field_value: str) -> dict[str, str]:
    # Empty optional parts are left out: "any value" and "the value as sent" read better that way.
    data = {"parameter": parameter}
    if value:
        data["value"] = value
    data["field"] = field_key
    if field_value:
        data["field_value"] = field_value
    return data
