"""The taxonomy as a tree to browse: the terms under a term (or at the top), each saying whether
it has terms under it. HSDS links a term to its parent by `parent_id`; a term whose parent the
directory does not hold (or no longer holds) is shown at the top rather than lost."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from calldesk.accounts.models import Organization as CalldeskOrganization
from calldesk.resources.models import TaxonomyTerm

# A level longer than this is cut (AIRS has levels of a few hundred; a page shows them all).
MAX_CHILDREN = 500


@dataclass(frozen=True)
class Branch:
    id: uuid.UUID
    name: str
    code: str
    has_children: bool


def children(owner: CalldeskOrganization, parent: uuid.UUID | None) -> list[Branch] | None:
    """The terms directly under `parent` (None: the top level), by name; None when `parent` is
    not a current term of `owner`'s directory."""
    current = TaxonomyTerm.objects.filter(owner=owner, retired_at=None)
    if parent is not None and not current.filter(id=parent).exists():
        return None
    if parent is None:
        held = current.filter(id=OuterRef("parent_id"))
        level = current.filter(Q(parent_id=None) | ~Exists(held))
    else:
        level = current.filter(parent_id=parent)
    below = current.filter(parent_id=OuterRef("id"))
    rows = level.annotate(has_children=Exists(below)).order_by("name", "id")
    return [
        Branch(term_id, name, code, has_children)
        for term_id, name, code, has_children in rows.values_list("id", "name", "code", "has_children")[:MAX_CHILDREN]
    ]
