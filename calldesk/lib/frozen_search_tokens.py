"""A frozen copy, for data migrations only, of indexing finished reports' personal text fields by
their words (the blind index, reports.tokens, as it was when the index was added). Migrations
import this rather than live code, which may change after they were written; do not change it:
write a new frozen copy for a new migration that needs other rules. The words' hashing itself
(calldesk.lib.blind) is the one `calldesk reindex` uses, so a later change of it is made good the
way a changed hash key is: by reindexing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from calldesk.lib.blind import scope, text_tokens
from calldesk.lib.sealed import open_values

TEXT_TYPES = frozenset({"text", "long_text", "email", "phone"})
DRAFT = "draft"
BATCH = 1000


def _searchable_keys(definition_json: Any) -> frozenset[str]:
    fields = (definition_json or {}).get("fields", [])
    return frozenset(f["key"] for f in fields if f.get("personal") and f.get("type") in TEXT_TYPES)


def _tokens_of(organization_id: int, keys: frozenset[str], values: Mapping[str, Any]) -> set[int]:
    found: set[int] = set()
    for key in keys:
        value = values.get(key)
        if isinstance(value, str) and value:
            found |= text_tokens(scope(organization_id, key), value)
    return found


def _opened(values: Any) -> Mapping[str, Any]:
    opened = open_values(values)
    return opened if isinstance(opened, dict) else {}


def index_reports(apps: Any) -> int:
    """Write the tokens of every finished, unredacted report whose revision has personal text
    fields, in batches by id; the number of reports indexed."""
    revision_model = apps.get_model("callforms", "FormRevision")
    report_model = apps.get_model("reports", "CallReport")
    token_model = apps.get_model("reports", "ReportToken")
    keys_of = {
        pk: _searchable_keys(definition)
        for pk, definition in revision_model._default_manager.values_list("pk", "definition_json")
    }
    indexed = [pk for pk, keys in keys_of.items() if keys]
    reports = report_model._default_manager.filter(revision_id__in=indexed, redacted_at__isnull=True)
    reports = reports.exclude(status=DRAFT)
    after, done = 0, 0
    while True:
        with transaction.atomic():
            batch = list(
                reports.filter(pk__gt=after)
                .order_by("pk")
                .values_list("pk", "organization_id", "revision_id", "values")[:BATCH]
            )
            if not batch:
                return done
            ids = [row[0] for row in batch]
            token_model._default_manager.filter(report_id__in=ids).delete()
            rows = [
                token_model(report_id=pk, token=t)
                for pk, org, revision, values in batch
                for t in _tokens_of(org, keys_of[revision], _opened(values))
            ]
            token_model._default_manager.bulk_create(rows, batch_size=5000)
        after, done = ids[-1], done + len(ids)
