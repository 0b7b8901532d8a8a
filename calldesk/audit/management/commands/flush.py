"""Django's `flush`, able to empty the access audit, which the database otherwise refuses
(audit migration 0002). Flushing deletes everything, the audit with it: it is for test
teardown and for wiping an installation, never for a running one.

The unlock row is written and removed inside the one transaction that empties the tables, so
no other session ever sees it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import connections, transaction

UNLOCK_TABLE = "audit_accessevent_unlock"


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        database = options["database"]
        connection = connections[database]
        if UNLOCK_TABLE not in connection.introspection.table_names():
            super().handle(**options)  # the audit's guard is not there (migrations not run)
            return
        with transaction.atomic(using=database), connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {UNLOCK_TABLE} (reason) VALUES ('flush')")  # noqa: S608 - a constant  # nosec B608
            super().handle(**options)
            cursor.execute(f"DELETE FROM {UNLOCK_TABLE}")  # noqa: S608  # nosec B608
