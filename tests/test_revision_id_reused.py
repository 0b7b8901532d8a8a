"""A revision rolled back on SQLite gives its id to the next one: nothing the process kept of the
rolled-back revision (its parsed definition, its personal keys) may be used for the new one, or a
field the new revision marks personal would be stored in clear."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.db import connection, transaction

from calldesk.callforms.models import FormRevision
from calldesk.reports.models import CallReport
from tests.cast import Cast


class RolledBack(Exception):
    pass


def definition(personal: str) -> dict[str, object]:
    fields = [
        {"key": key, "label": key.title(), "type": "text", "personal": key == personal} for key in ("name", "notes")
    ]
    return {"fields": fields}


def write_report(cast: Cast, revision_id: int) -> CallReport:
    # By id, as the autosave and the API write reports: the revision itself is not loaded.
    return CallReport.objects.create(
        organization=cast.org_a,
        form=cast.form_a,
        revision_id=revision_id,
        author=cast.specialist,
        call_start=datetime(2026, 12, 1, tzinfo=UTC),
        values={"name": "Ximena Okonkwo", "notes": "Lives at 12 Elm Street"},
    )


def test_a_reused_revision_id_seals_what_the_new_revision_marks_personal(cast: Cast) -> None:
    number = cast.form_a.revisions.order_by("-number").first().number + 1  # type: ignore[union-attr]
    try:
        with transaction.atomic():
            gone = FormRevision.objects.create(form=cast.form_a, number=number, definition_json=definition("name"))
            write_report(cast, gone.pk)  # the process learns this revision's personal keys
            raise RolledBack
    except RolledBack:
        pass
    revision = FormRevision.objects.create(form=cast.form_a, number=number, definition_json=definition("notes"))
    if connection.vendor == "sqlite":
        assert revision.pk == gone.pk  # the case this test is about

    report = write_report(cast, revision.pk)

    with connection.cursor() as cursor:
        cursor.execute('SELECT "values" FROM reports_callreport WHERE id = %s', [report.pk])
        stored = cursor.fetchone()[0]
    stored = stored if isinstance(stored, str) else json.dumps(stored)
    assert "12 Elm Street" not in stored  # sealed: the new revision marks notes personal
    assert "Ximena Okonkwo" in stored  # and name is no longer personal
    assert CallReport.objects.get(pk=report.pk).values["notes"] == "Lives at 12 Elm Street"
    assert revision.definition.field("notes").personal
