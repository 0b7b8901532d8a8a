"""A form's current revision (definition parsed) and mapping rules, kept per process.

Every screen pop needs both; reading and parsing them costs more than the pop's own writes.
They are kept under the form's `setup_version`, which every publish and mapping change moves
on in the same transaction (callforms.models.bump_setup_version). The pop reads the form row
anyway, so it sees the new number on its next request, in every process on every machine, and
loads the setup again: nothing is ever served from before a change that a request can see.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from uuid import UUID

from calldesk.callforms.definition import MappingRule
from calldesk.callforms.models import CallForm, FormRevision


@dataclass(frozen=True)
class FormSetup:
    version: int
    revision: FormRevision  # its `definition` already parsed; shared, never written
    rules: tuple[MappingRule, ...]


# Keyed by the form's public id, never reused (a primary key can be, after a rollback on SQLite).
_setups: dict[UUID, FormSetup] = {}


def form_setup(form: CallForm) -> tuple[FormRevision, list[MappingRule]]:
    """The form's current revision (a copy of the kept one, its form set to `form`) and rules."""
    setup = _setups.get(form.public_id)
    if setup is None or setup.version != form.setup_version:
        revision = FormRevision.objects.filter(form_id=form.pk).order_by("-number").first()
        if revision is None:
            raise FormRevision.DoesNotExist(f"form {form.report_ver} has no revision")
        revision.definition  # noqa: B018 - parsed once here, not on every pop
        rules = tuple(mapping.rule() for mapping in form.mappings.all())
        setup = FormSetup(form.setup_version, revision, rules)
        # A read that raced a publish may keep the newer setup under the older number: the next
        # request reads the newer number and loads it again. Threads only ever replace entries.
        _setups[form.public_id] = setup
    revision = copy.copy(setup.revision)  # callers may set attributes; the kept one stays clean
    revision.form = form
    return revision, list(setup.rules)
