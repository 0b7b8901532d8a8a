"""Everything the admin pages change, each change recorded in the audit trail.

Form definitions and mappings go through `callforms.services` (the same functions config
import uses), so a form is validated one way whichever door it came in by.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from calldesk.accounts import throttle, twofactor
from calldesk.accounts.models import Organization, User
from calldesk.callforms.definition import DEFAULT_CALL_TYPES, parse_definition
from calldesk.callforms.models import CallForm, FormRevision, Mapping
from calldesk.callforms.services import (
    MappingRule,
    broken_mappings,
    check_mapping,
    create_form,
    publish_revision,
    replace_mappings,
)
from calldesk.configure.audit import record
from calldesk.lib import limits


def _org(user: User) -> Organization:
    assert user.organization is not None, "admin pages are behind admin_required"
    return user.organization


# --- forms -------------------------------------------------------------------------------


# A new form is live at once (phone systems may open its URL before the admin is done), so its
# first revision is a usable report rather than an empty page: the admin edits from there.
STARTER_FIELDS = [
    {"key": "reason", "label": "Reason for the call", "type": "text"},
    {"key": "notes", "label": "Notes", "type": "long_text", "personal": True},
]


def new_form(user: User, report_ver: str, name: str) -> CallForm:
    with transaction.atomic():
        starter = {"fields": STARTER_FIELDS, "call_types": DEFAULT_CALL_TYPES}
        form = create_form(_org(user), report_ver, name, starter, user)
        record(_org(user), user, "form.create", str(form))
    return form


@dataclass
class Published:
    revision: FormRevision | None  # None: nothing changed
    broken: list[str]  # mappings the new revision breaks


def save_definition(user: User, form: CallForm, document: dict[str, Any], name: str | None = None) -> Published:
    """Publish `document` as the form's next revision (if it changed). Raises DefinitionError."""
    definition = parse_definition(document)
    with transaction.atomic():
        if name is not None and name.strip() and name.strip() != form.name:
            old = form.name
            form.name = name.strip()
            form.save(update_fields=["name"])
            record(_org(user), user, "form.rename", str(form), name=[old, form.name])
        revision = publish_revision(form, document, user)
        broken: list[str] = []
        if revision is not None:
            broken = broken_mappings(form, definition)
            record(
                _org(user),
                user,
                "form.revision",
                str(form),
                revision=revision.number,
                fields=[f.key for f in definition.fields],
                broken_mappings=broken,
            )
    return Published(revision, broken)


def set_retired(user: User, form: CallForm, retired: bool) -> None:
    if form.is_retired == retired:
        return
    form.retired_at = timezone.now() if retired else None
    form.save(update_fields=["retired_at"])
    record(_org(user), user, "form.retire" if retired else "form.unretire", str(form))


# --- mappings ----------------------------------------------------------------------------


def rules_of(form: CallForm) -> list[MappingRule]:
    return [mapping.rule() for mapping in form.mappings.all()]


class MappingRefused(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def add_mapping(user: User, form: CallForm, rule: MappingRule) -> None:
    problems = check_mapping(rule, form.current_revision().definition)
    rules = rules_of(form)
    same = (rule.parameter.strip().lower(), rule.value.strip(), rule.field_key)
    if any((r.parameter, r.value, r.field_key) == same for r in rules):
        problems.append("This form has a rule for this parameter, value and field already; remove it first.")
    if len(rules) >= limits.MAX_MAPPINGS_PER_FORM:
        problems.append(f"A form has at most {limits.MAX_MAPPINGS_PER_FORM} mappings; remove one first.")
    if problems:
        raise MappingRefused(problems)
    with transaction.atomic():
        replace_mappings(form, [*rules, rule])
        record(_org(user), user, "mapping.add", str(form), rule=_describe(rule))


def remove_mapping(user: User, form: CallForm, index: int) -> None:
    rules = rules_of(form)
    removed = rules.pop(index)
    with transaction.atomic():
        replace_mappings(form, rules)
        record(_org(user), user, "mapping.remove", str(form), rule=_describe(removed))


def move_mapping(user: User, form: CallForm, index: int, step: int) -> None:
    rules = rules_of(form)
    other = index + step
    if not 0 <= other < len(rules):
        return
    rules[index], rules[other] = rules[other], rules[index]
    with transaction.atomic():
        replace_mappings(form, rules)
        record(_org(user), user, "mapping.move", str(form), rule=_describe(rules[other]), position=other + 1)


def _describe(rule: MappingRule) -> str:
    """The rule as the mappings page shows it (`Mapping.__str__`), names lower-case as stored."""
    unsaved = Mapping(
        parameter=rule.parameter.strip().lower(),
        value=rule.value.strip(),
        field_key=rule.field_key,
        field_value=rule.field_value.strip(),
    )
    return str(unsaved)


# --- users and organization --------------------------------------------------------------


def create_member(user: User, email: str, name: str, role: str, agent_id: str, password: str) -> User:
    with transaction.atomic():
        member = User.objects.create_user(
            email,
            password or None,
            organization=_org(user),
            name=name.strip(),
            role=role,
            agent_id=agent_id.strip(),
            # The admin knows it: the member chooses their own at first login. No password: an
            # invitation is sent (calldesk.accounts.invitations) and none is usable until then.
            must_change_password=bool(password),
        )
        record(_org(user), user, "user.create", member.email, role=role, agent_id=member.agent_id)
    return member


def update_member(user: User, member: User, name: str, role: str, agent_id: str, new_password: str = "") -> None:
    changes: dict[str, list[str]] = {}
    for attr, value in (("name", name.strip()), ("role", role), ("agent_id", agent_id.strip())):
        if getattr(member, attr) != value:
            changes[attr] = [getattr(member, attr), value]
            setattr(member, attr, value)
    fields = list(changes)
    if new_password:
        member.set_password(new_password)  # also ends the member's other sessions (session hash changes)
        member.must_change_password = True
        fields += ["password", "must_change_password"]
    if not fields:
        return
    with transaction.atomic():
        member.save(update_fields=fields)
        details: dict[str, Any] = dict(changes)
        if new_password:
            details["password"] = "changed"
        record(_org(user), user, "user.update", member.email, **details)


def set_member_active(user: User, member: User, active: bool) -> None:
    """Deactivating ends the member's sessions at once: the auth backend refuses an inactive
    user on their very next request, so nothing needs deleting."""
    if member.is_active == active:
        return
    member.is_active = active
    member.save(update_fields=["is_active"])
    record(_org(user), user, "user.reactivate" if active else "user.deactivate", member.email)


def unlock_member(user: User, member: User) -> None:
    """Lift the login throttle's locks on the member's email (calldesk.accounts.throttle)."""
    throttle.unlock(member.email)
    record(_org(user), user, "user.unlock", member.email)


SETTINGS_FIELDS = ("name", "time_zone", "phone_region", "idle_timeout_minutes", "retention_days", "two_factor_roles")


def update_settings(user: User, values: dict[str, Any]) -> bool:
    org = _org(user)
    changes = {
        attr: [getattr(org, attr), values[attr]] for attr in SETTINGS_FIELDS if getattr(org, attr) != values[attr]
    }
    if not changes:
        return False
    for attr, (_, new) in changes.items():
        setattr(org, attr, new)
    with transaction.atomic():
        org.save(update_fields=list(changes))
        record(org, user, "organization.settings", org.name, **changes)
    return True


def shared_agent_ids(organization: Organization) -> dict[str, list[User]]:
    """Agent IDs held by more than one active user: the telephony URL leaves Agent empty for them."""
    holders: dict[str, list[User]] = {}
    for member in User.objects.filter(organization=organization, is_active=True).exclude(agent_id="").order_by("name"):
        holders.setdefault(member.agent_id, []).append(member)
    return {agent_id: users for agent_id, users in holders.items() if len(users) > 1}


def reset_member_two_factor(user: User, member: User) -> bool:
    """An admin's reset for a member who lost their phone: they enrol again at next sign-in."""
    with transaction.atomic():
        removed = twofactor.reset(member)
        if removed:
            record(_org(user), user, "user.two_factor_reset", member.email)
    return removed
