"""Parsed definitions of form revisions, kept per process.

A revision is never edited once published, so its parsed definition can be kept for as long
as the process lives: a cache keyed by revision id is correct in every process without any
invalidation between them. The one exception is an id used again for a new row (a
rolled-back transaction on SQLite hands its ids out again, as tests do all the time): saving
a revision drops its id here, so a new row never reads the old one's definition.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from calldesk.callforms.definition import Definition, parse_definition
from calldesk.callforms.models import FormRevision
from calldesk.lib.sealed import forget_personal_keys

MAX_KEPT = 2000  # revisions; far more than an installation publishes, a bound on memory all the same
_definitions: dict[int, Definition] = {}


def revision_definition(revision_id: int) -> Definition:
    """The parsed definition of a revision, read from the database once per process."""
    found = _definitions.get(revision_id)
    if found is None:
        found = FormRevision.objects.only("definition_json").get(pk=revision_id).definition
    return found


def definition_of(revision: FormRevision) -> Definition:
    """The parsed definition of a loaded revision (FormRevision.definition): parsed once per
    process, not on every page that shows a report."""
    found = _definitions.get(revision.pk) if revision.pk is not None else None
    if found is None:
        found = parse_definition(revision.definition_json)
        if revision.pk is not None:
            if len(_definitions) >= MAX_KEPT:
                _definitions.clear()
            _definitions[revision.pk] = found
    return found


def _forget(sender: type[FormRevision], instance: FormRevision, **kwargs: Any) -> None:
    _definitions.pop(instance.pk, None)
    if instance.pk is not None:
        forget_personal_keys(instance.pk)


post_save.connect(_forget, sender=FormRevision, dispatch_uid="revision_cache_forget_saved")
post_delete.connect(_forget, sender=FormRevision, dispatch_uid="revision_cache_forget_deleted")
