"""The blind index of reports' sealed text fields (calldesk.lib.blind), kept in step with the values.

`CallReport.save()` rewrites a report's tokens whenever it writes its values or its status
(submit, close, abandon, a correction: every path through the model), retention deletes them,
and `calldesk reindex` rebuilds them all (after an upgrade, or once CALLDESK_HASH_KEY changed).
Only fields the report's own revision marks personal are indexed, and only the text-like ones:
a personal choice is found by its keyed hash.

A draft holds no tokens: its words are indexed when it is finished. The screen pop and the
autosave (every few seconds while a specialist types) then write nothing more than before, and
no token ever outlives the words it came from; a search by word finds reports once submitted,
closed or abandoned (drafts are not in the list by default either).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL

from calldesk.callforms.definition import TEXT_TYPES
from calldesk.lib.blind import query_tokens, scope, text_tokens
from calldesk.lib.sealed import open_values

DRAFT = "draft"  # reports.models.Status.DRAFT (models imports this module)
BATCH = 1000


def searchable_keys(revision: Any) -> frozenset[str]:
    """The personal text fields of a revision, read from its stored definition (any model of
    it, a migration's historical one too)."""
    fields = (revision.definition_json or {}).get("fields", [])
    return frozenset(f["key"] for f in fields if f.get("personal") and f.get("type") in TEXT_TYPES)


def _revision_keys(report: Any) -> frozenset[str]:
    # Every path that saves a finished report has its revision loaded (else this reads it); its
    # keys are kept per process with its parsed definition (callforms.setups).
    return frozenset(report.revision.searchable_keys)


def tokens_of(organization_id: int, keys: frozenset[str], values: Mapping[str, Any]) -> set[int]:
    found: set[int] = set()
    for key in keys:
        value = values.get(key)
        if isinstance(value, str) and value:
            found |= text_tokens(scope(organization_id, key), value)
    return found


def _token_model() -> type[models.Model]:
    from calldesk.reports.models import ReportToken  # models calls this module from save()

    return ReportToken


def write_all(report: Any, created: bool) -> None:
    """Replace a report's tokens by those of its values; a draft's by none. Nothing at all for
    a new draft or a revision without personal text fields (the pop costs no query)."""
    draft = report.status == DRAFT
    if created and draft:
        return
    keys = _revision_keys(report)
    if not keys:
        return
    model = _token_model()
    if not created:
        model._default_manager.filter(report_id=report.pk).delete()
    if not draft:
        wanted = tokens_of(report.organization_id, keys, report.values or {})
        model._default_manager.bulk_create([model(report_id=report.pk, token=t) for t in wanted])


def forget(report_ids: Iterable[int]) -> None:
    """Retention: blanked values are found by nothing."""
    _token_model()._default_manager.filter(report_id__in=list(report_ids)).delete()


def matching(organization_id: int, key: str, typed: str) -> Q | None:
    """The reports whose `key` holds every word typed (each as a whole word, or as the start of
    a word from 3 letters on); None when nothing typed is a word."""
    wanted = query_tokens(scope(organization_id, key), typed)
    if not wanted:
        return None
    table = _token_model()._meta.db_table
    # The tokens are written into the statement, not bound as parameters: a prepared statement
    # run a few times gets PostgreSQL's generic plan, which cannot know how many reports hold a
    # token and chose a scan of every report (1.4 s instead of 70 ms at 500,000). They are
    # integers computed here, so nothing typed reaches the SQL. Several words are intersected in
    # the token index itself (a report holds each token once), before any report is read.
    listed = ", ".join(str(int(one)) for one in wanted)
    sql = f'SELECT "report_id" FROM "{table}" WHERE "token" IN ({listed})'  # noqa: S608  # nosec B608
    if len(wanted) > 1:
        sql += f' GROUP BY "report_id" HAVING COUNT(*) = {len(wanted)}'
    return Q(pk__in=RawSQL(sql, ()))  # noqa: S611  # nosec B611 - integers only, see above


def rebuild(
    report_model: type[models.Model],
    token_model: type[models.Model],
    revision_model: type[models.Model],
    organization_id: int | None = None,
) -> int:
    """Rewrite every report's tokens from its values, in batches by id, each its own
    transaction; the number of reports indexed. Used by `calldesk reindex` and the migration."""
    revisions = revision_model._default_manager.all()
    keys_of = {revision.pk: searchable_keys(revision) for revision in revisions}
    indexed_revisions = [pk for pk, keys in keys_of.items() if keys]
    reports = report_model._default_manager.filter(revision_id__in=indexed_revisions, redacted_at__isnull=True)
    reports = reports.exclude(status=DRAFT)
    if organization_id is not None:
        reports = reports.filter(organization_id=organization_id)
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
                for t in tokens_of(org, keys_of[revision], _opened(values))
            ]
            token_model._default_manager.bulk_create(rows, batch_size=5000)
        after, done = ids[-1], done + len(ids)


def _opened(values: Any) -> Mapping[str, Any]:
    opened = open_values(values)
    return opened if isinstance(opened, dict) else {}
