"""Changing forms: publishing revisions and setting mappings.

The admin pages and `calldesk config import` both change forms through these functions,
so a form is validated one way whichever door it came in by.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from calldesk.accounts.models import Organization, User
from calldesk.callforms.definition import (
    CHOICE_TYPES,
    RESERVED_PARAMETERS,
    Definition,
    FieldType,
    MappingRule,
    parse_definition,
)
from calldesk.callforms.models import CallForm, FormRevision, Mapping, bump_setup_version


def check_mapping(rule: MappingRule, definition: Definition, where: str = "") -> list[str]:
    """Problems of one mapping rule against a revision's fields (empty list: fine)."""
    at = f"{where}: " if where else ""
    problems: list[str] = []
    name = rule.parameter.strip().lower()
    if not name:
        problems.append(f"{at}the parameter name is required")
    elif name in RESERVED_PARAMETERS:
        problems.append(f"{at}`{rule.parameter}` has its own meaning in the URL and cannot be mapped")
    target = definition.field(rule.field_key)
    if target is None:
        problems.append(f"{at}the form has no field `{rule.field_key}`")
        return problems
    if target.type == FieldType.REFERRALS:
        problems.append(f"{at}{target.label} is filled from the resource directory, not by the phone system")
    if rule.field_value and target.type in CHOICE_TYPES and target.choice_for(rule.field_value) is None:
        problems.append(f"{at}`{rule.field_value}` is not a choice of {target.label}")
    return problems


def broken_mappings(form: CallForm, definition: Definition) -> list[str]:
    """What a new revision would break among the form's current mappings."""
    problems: list[str] = []
    for mapping in form.mappings.all():
        problems.extend(check_mapping(mapping.rule(), definition, where=str(mapping)))
    return problems


def publish_revision(form: CallForm, definition_json: dict[str, Any], user: User | None = None) -> FormRevision | None:
    """Publish a new revision if the definition differs from the current one; None if unchanged.

    Raises DefinitionError (with every problem) for an invalid definition.
    """
    definition = parse_definition(definition_json)
    canonical = definition.to_json()
    with transaction.atomic():
        latest = form.revisions.select_for_update().order_by("-number").first()
        if latest is not None and latest.definition.to_json() == canonical:
            return None
        number = latest.number + 1 if latest else 1
        return FormRevision.objects.create(form=form, number=number, definition_json=canonical, created_by=user)


def create_form(
    organization: Organization, report_ver: str, name: str, definition_json: dict[str, Any], user: User | None = None
) -> CallForm:
    with transaction.atomic():
        form = CallForm.objects.create(organization=organization, report_ver=report_ver.strip(), name=name)
        publish_revision(form, definition_json, user)
    return form


def replace_mappings(form: CallForm, rules: list[MappingRule]) -> bool:
    """Make the form's mappings exactly `rules`, in order. True if anything changed."""
    wanted = [(r.parameter.strip().lower(), r.value.strip(), r.field_key, r.field_value.strip()) for r in rules]
    current = [(m.parameter, m.value, m.field_key, m.field_value) for m in form.mappings.order_by("position", "id")]
    if wanted == current:
        return False
    with transaction.atomic():
        form.mappings.all().delete()
        Mapping.objects.bulk_create(
            Mapping(form=form, parameter=p, value=v, field_key=k, field_value=fv, position=i)
            for i, (p, v, k, fv) in enumerate(wanted)
        )
        bump_setup_version(form.pk)  # bulk_create sends no post_save
    return True
