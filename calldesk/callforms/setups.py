"""The one per-process cache of forms' parsed definitions, keyed by `setup_version`.

Reading and parsing a revision's definition costs more than a screen pop's own writes, and every
report page, autosave and report save needs it (its fields, which of them are personal, so sealed,
and which of those are indexed by their words). So each process keeps:

- every revision's parsed definition (`Parsed`: the definition, its personal and searchable keys) under the
  revision's id *and* its `setup_version`, a random number given to the revision when it is
  written (callforms.models.new_setup_version);
- each form's current setup (its newest revision and its mapping rules) under the form's
  `setup_version`, which every publish and mapping change replaces in the same transaction
  (callforms.models.bump_setup_version).

Nothing is ever forgotten by a signal: an entry is simply not found once the number it was kept
under is not the one the database holds. The numbers are random rather than counted because a
counter comes back after a rollback: a revision written and read inside a transaction that
rolls back, then another one written after it, would get the same counter value (and on SQLite
the same id) and be served the rolled-back one's definition. A random number is not given twice.
The form and revision rows that carry the numbers are read by the requests anyway, so a change
is seen on the next request in every process on every machine.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from calldesk.callforms.definition import TEXT_TYPES, Definition, MappingRule, parse_definition
from calldesk.callforms.models import CallForm, FormRevision

# Entries of each kind; far more than an installation publishes, a bound on memory all the same
# (entries under numbers no longer current are never read again).
MAX_KEPT = 2000


@dataclass(frozen=True)
class Parsed:
    definition: Definition
    personal: frozenset[str]  # the keys of the fields it marks personal (sealed at rest)
    searchable: frozenset[str]  # those of text types, found by their words (reports.tokens)


@dataclass(frozen=True)
class FormSetup:
    version: int
    revision: FormRevision  # its `definition` already parsed; shared, never written
    rules: tuple[MappingRule, ...]


_parsed: dict[tuple[int, int], Parsed] = {}  # (revision id, its setup_version)
_setups: dict[int, FormSetup] = {}  # form id; valid while the form's setup_version is the same


def _keep(kept: dict, key: object, value: object) -> None:  # type: ignore[type-arg]
    if len(kept) >= MAX_KEPT:
        kept.clear()
    # Threads only ever replace entries, with equal values.
    kept[key] = value


def parsed_revision(revision: FormRevision) -> Parsed:
    """The revision's definition parsed, once per process (FormRevision.definition). A revision
    not yet saved is parsed every time."""
    key = (revision.pk, revision.setup_version) if revision.pk is not None else None
    found = _parsed.get(key) if key is not None else None
    if found is None:
        definition = parse_definition(revision.definition_json)
        personal = [item for item in definition.fields if item.personal]
        found = Parsed(
            definition,
            frozenset(item.key for item in personal),
            frozenset(item.key for item in personal if item.type in TEXT_TYPES),
        )
        if key is not None:
            _keep(_parsed, key, found)
    return found


def form_setup(form: CallForm) -> tuple[FormRevision, list[MappingRule]]:
    """The form's current revision (a copy of the kept one, its form set to `form`) and rules."""
    setup = _setups.get(form.pk)
    if setup is None or setup.version != form.setup_version:
        revision = FormRevision.objects.filter(form_id=form.pk).order_by("-number").first()
        if revision is None:
            raise FormRevision.DoesNotExist(f"form {form.report_ver} has no revision")
        revision.definition  # noqa: B018 - parsed once here, not on every pop
        rules = tuple(mapping.rule() for mapping in form.mappings.all())
        # A read that raced a publish may keep the newer setup under the older number: the next
        # request reads the newer number and loads it again.
        setup = FormSetup(form.setup_version, revision, rules)
        _keep(_setups, form.pk, setup)
    revision = copy.copy(setup.revision)  # callers may set attributes; the kept one stays clean
    revision.form = form
    return revision, list(setup.rules)
