"""Checking a configuration document and turning it into a plan of what it describes.

Every problem is collected with its place in the file (`organizations[0].users[2].email: ...`)
so one run shows them all. Form fields and call types are checked by
`callforms.definition.parse_definition` and mappings by `callforms.services.check_mapping`:
the same validation the admin pages use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, identify_hasher
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db.models import Model

from calldesk.accounts.models import Organization, Role, User
from calldesk.callforms.definition import DefinitionError, parse_definition
from calldesk.callforms.models import CallForm, Mapping
from calldesk.callforms.services import MappingRule, check_mapping
from calldesk.configio.document import ConfigError
from calldesk.lib import limits
from calldesk.lib.emails import normalise_email, validate_address
from calldesk.lib.times import time_zone_names

FORMAT_VERSION = 1
MISSING: Any = object()  # a setting left out of the file: keep what is there (or the default when new)

ORG_KEYS = (
    "slug",
    "name",
    "time_zone",
    "phone_region",
    "idle_timeout_minutes",
    "retention_days",
    "two_factor_roles",
    "users",
    "forms",
    "callers",
)
USER_KEYS = ("email", "name", "role", "agent_id", "active", "password", "password_hash")
FORM_KEYS = ("report_ver", "name", "retired", "fields", "call_types", "follow_up_attempts", "mappings")
DEFINITION_KEYS = ("fields", "call_types", "follow_up_attempts")
MAPPING_KEYS = ("parameter", "value", "field", "field_value")
MAPPING_COLUMNS = ("parameter", "value", "field_key", "field_value")


@dataclass
class UserPlan:
    place: str
    email: str
    # Model field name → value, only for the settings the file gives.
    values: dict[str, Any]
    password: str | None = None
    password_hash: str | None = None


@dataclass
class FormPlan:
    place: str
    report_ver: str
    name: str
    retired: bool | None  # None: not given
    definition_json: dict[str, Any]
    mappings: list[MappingRule]


@dataclass
class OrganizationPlan:
    place: str
    slug: str
    values: dict[str, Any]
    users: list[UserPlan] = field(default_factory=list)
    forms: list[FormPlan] = field(default_factory=list)
    callers: list[Any] = field(default_factory=list)  # calldesk.callers.configio.CallerPlan


def _limit(model: type[Model], name: str) -> int | None:
    """The column's length, so a too-long value is a problem here rather than a database error."""
    return getattr(model._meta.get_field(name), "max_length", None)


class _Checker:
    """Reads one document, noting problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        # What the file gave so far (value → its place), to name a repeat where it happens.
        self.seen: dict[str, dict[str, str]] = {"organization": {}, "email": {}, "reportVer": {}}

    def once(self, what: str, value: str, place: str) -> None:
        """Note `value` (a slug, email or reportVer); a repeat anywhere in the file is a problem."""
        earlier = self.seen[what].setdefault(value, place)
        if earlier != place:
            self.problem(place, f"{what} `{value}` is already given at {earlier}")

    def problem(self, place: str, message: str) -> None:
        self.problems.append(f"{place}: {message}")

    def mapping(self, raw: Any, place: str, keys: tuple[str, ...]) -> dict[str, Any] | None:
        if not isinstance(raw, dict):
            self.problem(place, "must be a mapping")
            return None
        for key in raw:
            if key not in keys:
                self.problem(f"{place}.{key}", f"unknown setting (known: {', '.join(keys)})")
        return raw

    def items(self, raw: dict[str, Any], key: str, place: str) -> list[Any]:
        value = raw.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(f"{place}.{key}", "must be a list")
            return []
        return value

    def text(self, raw: dict[str, Any], key: str, place: str, required: bool = False, limit: int | None = None) -> Any:
        """The text under `key`, stripped; MISSING when absent. Numbers count as text (YAML reads 34 as one)."""
        if key not in raw or raw[key] is None:
            if required:
                self.problem(f"{place}.{key}", "is required")
            return MISSING
        value = raw[key]
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.problem(f"{place}.{key}", "must be text")
            return MISSING
        value = value.strip()
        if required and not value:
            self.problem(f"{place}.{key}", "is required")
        if problem := limits.text_problem(value, limit or limits.MAX_SETTING_TEXT):
            self.problem(f"{place}.{key}", problem)
            return MISSING
        return value

    def flag(self, raw: dict[str, Any], key: str, place: str) -> Any:
        if key not in raw:
            return MISSING
        if not isinstance(raw[key], bool):
            self.problem(f"{place}.{key}", "must be true or false")
            return MISSING
        return raw[key]

    def count(self, raw: dict[str, Any], key: str, place: str, bounds: tuple[int, int], nullable: bool = False) -> Any:
        if key not in raw:
            return MISSING
        value = raw[key]
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or limits.range_problem(value, bounds):
            low, high = bounds
            self.problem(
                f"{place}.{key}", f"must be a whole number from {low:,} to {high:,}" + (" or null" if nullable else "")
            )
            return MISSING
        return value


def plan_document(document: Any) -> list[OrganizationPlan]:
    """Check the whole document; raise ConfigError with every problem, else return the plan."""
    check = _Checker()
    raw = check.mapping(document, "document", ("version", "organizations"))
    if raw is None:
        raise ConfigError(["document: must be a mapping with `organizations`"])
    if raw.get("version", FORMAT_VERSION) != FORMAT_VERSION:
        check.problem("document.version", f"this Calldesk reads version {FORMAT_VERSION}")
    if "organizations" not in raw:
        check.problem("document.organizations", "is required")
    plans = [
        plan
        for index, item in enumerate(check.items(raw, "organizations", "document"))
        if (plan := _organization(check, item, f"organizations[{index}]")) is not None
    ]
    if check.problems:
        raise ConfigError(check.problems)
    return plans


def _organization(check: _Checker, item: Any, place: str) -> OrganizationPlan | None:
    raw = check.mapping(item, place, ORG_KEYS)
    if raw is None:
        return None
    slug = check.text(raw, "slug", place, required=True, limit=_limit(Organization, "slug"))
    if slug:
        try:
            validate_slug(slug)
        except ValidationError:
            check.problem(f"{place}.slug", f"`{slug}` must be letters, digits, - and _ only")
        check.once("organization", slug, f"{place}.slug")
    values: dict[str, Any] = {"name": check.text(raw, "name", place, required=True, limit=_limit(Organization, "name"))}
    zone = check.text(raw, "time_zone", place)
    if zone is not MISSING and zone not in time_zone_names():
        check.problem(f"{place}.time_zone", f"`{zone}` is not a time zone name (e.g. America/New_York)")
    values["time_zone"] = zone
    region = check.text(raw, "phone_region", place)
    if region is not MISSING:
        region = region.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            check.problem(f"{place}.phone_region", f"`{region}` is not a phone region (e.g. US, GB)")
    values["phone_region"] = region
    values["idle_timeout_minutes"] = check.count(raw, "idle_timeout_minutes", place, limits.IDLE_TIMEOUT_MINUTES)
    values["retention_days"] = check.count(raw, "retention_days", place, limits.RETENTION_DAYS, nullable=True)
    values["two_factor_roles"] = _two_factor_roles(check, raw, place)
    plan = OrganizationPlan(place, slug if slug is not MISSING else "", _given(values))
    for index, user in enumerate(check.items(raw, "users", place)):
        if (user_plan := _user(check, user, f"{place}.users[{index}]", plan.slug)) is not None:
            plan.users.append(user_plan)
    for index, form in enumerate(check.items(raw, "forms", place)):
        if (form_plan := _form(check, form, f"{place}.forms[{index}]", plan.slug)) is not None:
            plan.forms.append(form_plan)
    if raw.get("callers"):
        from calldesk.callers.configio import plan_callers

        known = Organization.objects.filter(slug=plan.slug).first()
        zone = ZoneInfo(zone if zone in time_zone_names() else known.time_zone if known else "UTC")
        given_region = region if region is not MISSING and region in phonenumbers.SUPPORTED_REGIONS else None
        plan.callers = plan_callers(
            check,
            check.items(raw, "callers", place),
            place,
            given_region or (known.phone_region if known else "US"),
            zone,
        )
    return plan


def _two_factor_roles(check: _Checker, raw: dict[str, Any], place: str) -> Any:
    """A list of roles (e.g. `[supervisor, admin]`; `[]` for none), stored as Organization stores it."""
    if "two_factor_roles" not in raw:
        return MISSING
    roles = raw["two_factor_roles"]
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        check.problem(f"{place}.two_factor_roles", f"must be a list of roles ({', '.join(Role.values)})")
        return MISSING
    unknown = [role for role in roles if role not in Role.values]
    if unknown:
        check.problem(f"{place}.two_factor_roles", f"`{unknown[0]}` is not one of {', '.join(Role.values)}")
        return MISSING
    return Organization.two_factor_roles_text(roles)


def _given(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not MISSING}


def _user(check: _Checker, item: Any, place: str, org_slug: str) -> UserPlan | None:
    raw = check.mapping(item, place, USER_KEYS)
    if raw is None:
        return None
    email = check.text(raw, "email", place, required=True, limit=_limit(User, "email"))
    if email:
        email = normalise_email(email)
        try:
            validate_address(email)
        except ValidationError:
            check.problem(f"{place}.email", f"`{email}` is not an email address")
        check.once("email", email, f"{place}.email")
        # Emails are unique across the installation: one owned elsewhere is a problem, not a move.
        if User.objects.filter(email=email).exclude(organization__slug=org_slug).exists():
            check.problem(f"{place}.email", f"`{email}` belongs to a user of another organization")
    role = check.text(raw, "role", place)
    if role is not MISSING and role not in Role.values:
        check.problem(f"{place}.role", f"`{role}` is not one of {', '.join(Role.values)}")
    values = {
        "name": check.text(raw, "name", place, limit=_limit(User, "name")),
        "role": role,
        "agent_id": check.text(raw, "agent_id", place, limit=_limit(User, "agent_id")),
        "is_active": check.flag(raw, "active", place),
    }
    plan = UserPlan(place, email if email is not MISSING else "", _given(values))
    password = check.text(raw, "password", place)
    password_hash = check.text(raw, "password_hash", place)
    if password is not MISSING and password_hash is not MISSING:
        check.problem(place, "give `password` or `password_hash`, not both")
    elif password is not MISSING:
        try:
            validate_password(password)
        except ValidationError as error:
            check.problem(f"{place}.password", " ".join(error.messages))
        plan.password = password
    elif password_hash is not MISSING:
        if not _usable_hash(password_hash):
            check.problem(f"{place}.password_hash", "is not a password hash this installation can read")
        plan.password_hash = password_hash
    return plan


def _usable_hash(encoded: str) -> bool:
    if encoded.startswith(UNUSABLE_PASSWORD_PREFIX):
        return True  # "no password": the user cannot log in until one is set
    try:
        identify_hasher(encoded)
    except ValueError:
        return False
    return True


def _form(check: _Checker, item: Any, place: str, org_slug: str) -> FormPlan | None:
    raw = check.mapping(item, place, FORM_KEYS)
    if raw is None:
        return None
    report_ver = check.text(raw, "report_ver", place, required=True, limit=_limit(CallForm, "report_ver"))
    if report_ver:
        check.once("reportVer", report_ver, f"{place}.report_ver")
        # reportVers are unique across the installation, like emails.
        if CallForm.objects.filter(report_ver=report_ver).exclude(organization__slug=org_slug).exists():
            check.problem(f"{place}.report_ver", f"reportVer `{report_ver}` belongs to another organization")
    name = check.text(raw, "name", place, required=True, limit=_limit(CallForm, "name"))
    retired = check.flag(raw, "retired", place)
    # The revision's own settings, checked by parse_definition as the admin pages' are.
    definition_json: dict[str, Any] = {key: raw[key] for key in DEFINITION_KEYS if key in raw}
    definition = None
    try:
        definition = parse_definition(definition_json, where=place)
    except DefinitionError as error:
        check.problems.extend(error.problems)
    rules: list[MappingRule] = []
    seen: dict[tuple[str, str, str], int] = {}
    entries = check.items(raw, "mappings", place)
    if len(entries) > limits.MAX_MAPPINGS_PER_FORM:
        check.problem(f"{place}.mappings", f"a form has at most {limits.MAX_MAPPINGS_PER_FORM} mappings")
        entries = []
    for index, entry in enumerate(entries):
        where = f"{place}.mappings[{index}]"
        mapping = check.mapping(entry, where, MAPPING_KEYS)
        if mapping is None:
            continue
        texts = [
            check.text(mapping, key, where, required=key in ("parameter", "field"), limit=_limit(Mapping, column))
            for key, column in zip(MAPPING_KEYS, MAPPING_COLUMNS, strict=True)
        ]
        parameter, value, field_key, field_value = ("" if text is MISSING else text for text in texts)
        rule = MappingRule(parameter, value, field_key, field_value)
        if definition is not None and parameter and field_key:
            check.problems.extend(check_mapping(rule, definition, where=where))
        identity = (parameter.lower(), value, field_key)
        if identity in seen:
            check.problem(where, f"the same rule as mappings[{seen[identity]}]")
        seen.setdefault(identity, index)
        rules.append(rule)
    if report_ver is MISSING or name is MISSING:
        return None
    return FormPlan(place, report_ver, name, None if retired is MISSING else retired, definition_json, rules)
