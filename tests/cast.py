"""The fixed cast every test works with: two organizations, their people, a form.

Organization A ("Lifeline", America/New_York) has a specialist (agent ID 34), a second
specialist, a supervisor and an admin, and the form 9991234 with language and line
choices and mappings. Organization B ("Other line") has a specialist and its own form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from calldesk.accounts.models import Organization, Role, User
from calldesk.callforms.definition import parse_definition
from calldesk.callforms.models import CallForm, FormRevision, Mapping

PASSWORD = "correct-horse-battery"

FORM_A_DEFINITION: dict[str, Any] = {
    "fields": [
        {
            "key": "language",
            "label": "Language",
            "type": "choice",
            "choices": [{"label": "English", "code": "112210"}, {"label": "Spanish", "code": "112211"}],
        },
        {
            "key": "incoming_line",
            "label": "Incoming line",
            "type": "choice",
            "choices": [{"label": "Main line"}, {"label": "Youth line"}],
        },
        {"key": "dialled_number", "label": "Dialled number", "type": "text"},
        {"key": "summary", "label": "Summary", "type": "long_text", "required": True, "personal": True},
        {"key": "risk", "label": "Risk assessed", "type": "yes_no"},
    ],
}
FORM_A_MAPPINGS = [
    ("language", "", "language", ""),
    ("dnis", "8886201111", "incoming_line", "Main line"),
    ("dnis", "8886202222", "incoming_line", "Youth line"),
    ("dnis", "", "dialled_number", ""),
]


def make_org(slug: str, name: str, time_zone: str = "America/New_York", region: str = "US") -> Organization:
    return Organization.objects.create(slug=slug, name=name, time_zone=time_zone, phone_region=region)


def make_user(
    org: Organization | None, email: str, role: str = Role.SPECIALIST, agent_id: str = "", name: str = ""
) -> User:
    return User.objects.create_user(email, PASSWORD, organization=org, role=role, agent_id=agent_id, name=name)


def make_form(
    org: Organization,
    report_ver: str,
    definition: dict[str, Any],
    name: str = "Call report",
    mappings: list[tuple[str, str, str, str]] | None = None,
) -> CallForm:
    parse_definition(definition)  # fail early on a broken fixture
    form = CallForm.objects.create(organization=org, report_ver=report_ver, name=name)
    FormRevision.objects.create(form=form, number=1, definition_json=definition)
    for position, (parameter, value, field_key, field_value) in enumerate(mappings or []):
        Mapping.objects.create(
            form=form, parameter=parameter, value=value, field_key=field_key, field_value=field_value, position=position
        )
    return form


@dataclass
class Cast:
    org_a: Organization
    org_b: Organization
    specialist: User
    specialist2: User
    supervisor: User
    admin: User
    specialist_b: User
    form_a: CallForm
    form_b: CallForm


def make_cast() -> Cast:
    org_a = make_org("lifeline", "Lifeline")
    org_b = make_org("other", "Other line", time_zone="Europe/London", region="GB")
    return Cast(
        org_a=org_a,
        org_b=org_b,
        specialist=make_user(org_a, "sam@lifeline.example", agent_id="34", name="Sam Specialist"),
        specialist2=make_user(org_a, "kim@lifeline.example", agent_id="35", name="Kim Specialist"),
        supervisor=make_user(org_a, "sue@lifeline.example", Role.SUPERVISOR, name="Sue Supervisor"),
        admin=make_user(org_a, "ada@lifeline.example", Role.ADMIN, name="Ada Admin"),
        specialist_b=make_user(org_b, "bea@other.example", agent_id="34", name="Bea Other"),
        form_a=make_form(org_a, "9991234", FORM_A_DEFINITION, "Crisis call", FORM_A_MAPPINGS),
        form_b=make_form(
            org_b, "5550001", {"fields": [{"key": "notes", "label": "Notes", "type": "text"}]}, "Other form"
        ),
    )
