"""Each process keeps forms' parsed definitions in one cache (callforms.setups), found by the
form's or the revision's `setup_version`. A revision written and read inside a transaction that
rolls back, then another written after it (on SQLite with the same id), must never be served
what the process kept of the rolled-back one: not by the screen pop, not by a report's page,
not when sealing its values."""

from __future__ import annotations

from django.db import connection, transaction
from django.test import Client

from calldesk.callforms.models import CallForm, FormRevision
from calldesk.callforms.services import publish_revision
from calldesk.callforms.setups import form_setup
from calldesk.reports.models import CallReport
from tests.cast import FORM_A_DEFINITION, Cast


class RolledBack(Exception):
    pass


def with_field(key: str, label: str) -> dict[str, object]:
    return {"fields": [*FORM_A_DEFINITION["fields"], {"key": key, "label": label, "type": "text"}]}


def fresh(form: CallForm) -> CallForm:
    return CallForm.objects.get(pk=form.pk)  # as the pop reads it: its setup_version as stored


def test_the_pop_is_not_served_a_rolled_back_revision_whose_id_was_reused(cast: Cast) -> None:
    form_setup(fresh(cast.form_a))  # the process keeps the form's first setup
    try:
        with transaction.atomic():
            gone = publish_revision(cast.form_a, with_field("gone", "Rolled back"))
            assert gone is not None
            revision, _ = form_setup(fresh(cast.form_a))  # kept while it could be seen
            assert revision.definition.field("gone") is not None
            raise RolledBack
    except RolledBack:
        pass
    published = publish_revision(cast.form_a, with_field("kept", "Published"))
    assert published is not None
    if connection.vendor == "sqlite":
        assert published.pk == gone.pk  # the case this test is about

    revision, _ = form_setup(fresh(cast.form_a))
    assert revision.pk == published.pk
    assert revision.definition.field("gone") is None
    assert revision.definition.field("kept") is not None


def test_a_pop_after_a_rolled_back_publish_opens_a_draft_of_the_revision_published_since(
    cast: Cast, specialist_client: Client
) -> None:
    try:
        with transaction.atomic():
            publish_revision(cast.form_a, with_field("gone", "Rolled back field"))
            answer = specialist_client.get("/Telephony/GetCallReport?reportVer=9991234&ani=6175550123")
            assert "Rolled back field" in specialist_client.get(answer["Location"]).content.decode()
            raise RolledBack
    except RolledBack:
        pass
    publish_revision(cast.form_a, with_field("kept", "Published field"))

    answer = specialist_client.get("/Telephony/GetCallReport?reportVer=9991234&ani=6175550123")
    assert answer.status_code == 303
    page = specialist_client.get(answer["Location"]).content.decode()
    assert "Published field" in page
    assert "Rolled back field" not in page
    # On PostgreSQL the rolled-back revision's id is not reused: a draft of it could not be written.
    assert CallReport.objects.latest("pk").revision == cast.form_a.current_revision()


def test_a_revision_written_by_another_process_with_a_reused_id_is_parsed_anew(cast: Cast) -> None:
    number = cast.form_a.revisions.count() + 1
    try:
        with transaction.atomic():
            gone = publish_revision(cast.form_a, with_field("gone", "Rolled back"))
            assert gone is not None
            FormRevision.objects.get(pk=gone.pk).definition  # noqa: B018 - kept by this process
            raise RolledBack
    except RolledBack:
        pass
    # Another process writes the next revision: this one hears no signal of it (bulk_create sends
    # none either).
    (written,) = FormRevision.objects.bulk_create(
        [FormRevision(form=cast.form_a, number=number, definition_json=with_field("kept", "Published"))]
    )
    written_pk = written.pk or FormRevision.objects.get(form=cast.form_a, number=number).pk
    if connection.vendor == "sqlite":
        assert written_pk == gone.pk

    definition = FormRevision.objects.get(pk=written_pk).definition
    assert definition.field("gone") is None
    assert definition.field("kept") is not None
