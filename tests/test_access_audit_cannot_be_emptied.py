"""The access audit cannot be emptied by SQL either: TRUNCATE is refused on PostgreSQL and
DELETE on SQLite (UPDATE and, on PostgreSQL, row DELETE were refused already), while the
test suite's flush, `calldesk maintenance` and the retention run keep working."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from calldesk.audit.models import AccessEvent

Action = AccessEvent.Action


def record_events() -> None:
    for n in range(3):
        AccessEvent.objects.create(actor=f"someone{n}@lifeline.example", action=Action.LOGIN)


def emptying_statements() -> list[str]:
    """What empties a table on this database: each must be refused."""
    if connection.vendor == "postgresql":
        return ["TRUNCATE audit_accessevent", "TRUNCATE audit_accessevent CASCADE", "DELETE FROM audit_accessevent"]
    return ["DELETE FROM audit_accessevent", "DELETE FROM audit_accessevent WHERE id > 0"]


@pytest.mark.django_db
def test_the_database_refuses_to_empty_the_audit(db: None) -> None:
    record_events()
    for statement in emptying_statements():
        with pytest.raises(DatabaseError, match="never changed or deleted"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement)
        assert AccessEvent.objects.count() == 3, statement


@pytest.mark.django_db(transaction=True)
def test_flush_empties_it_and_the_guard_is_back_afterwards(db: None) -> None:
    record_events()
    call_command("flush", interactive=False, verbosity=0)
    assert AccessEvent.objects.count() == 0
    record_events()
    with pytest.raises(DatabaseError, match="never changed or deleted"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(emptying_statements()[0])
    assert AccessEvent.objects.count() == 3
    # ... and this test's own teardown (another flush) empties it once more.


@pytest.mark.django_db(transaction=True)
def test_maintenance_still_runs_with_events_kept(db: None) -> None:
    record_events()
    out = StringIO()
    call_command("maintenance", stdout=out)
    assert "expired sessions" in out.getvalue()
    assert AccessEvent.objects.count() == 3
