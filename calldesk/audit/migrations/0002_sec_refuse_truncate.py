"""The database refuses to empty the access audit too: TRUNCATE on PostgreSQL (a statement
trigger; row triggers never see it) and DELETE on SQLite (0001 only refused UPDATE there).

The one way past is a row in `audit_accessevent_unlock`, a table no model maps: only
`calldesk flush` (calldesk.audit.management.commands.flush, which the test suite's teardown
runs) writes one, inside the transaction that empties the database, so no other session ever
sees it. docs/security.md says what the database's owner can still do.
"""

from django.db import migrations

# The message is written into the SQL as it is (no formatting: nothing outside this file reaches it).

POSTGRES_GUARD = """
CREATE TABLE audit_accessevent_unlock (reason text NOT NULL);
CREATE OR REPLACE FUNCTION audit_accessevent_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit_accessevent_unlock) THEN
        RAISE EXCEPTION 'access audit events are never changed or deleted (TRUNCATE refused)';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_accessevent_no_truncate BEFORE TRUNCATE ON audit_accessevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_accessevent_refuse_truncate();
"""
POSTGRES_UNGUARD = """
DROP TRIGGER IF EXISTS audit_accessevent_no_truncate ON audit_accessevent;
DROP FUNCTION IF EXISTS audit_accessevent_refuse_truncate();
DROP TABLE IF EXISTS audit_accessevent_unlock;
"""
SQLITE_GUARD = [
    "CREATE TABLE audit_accessevent_unlock (reason text NOT NULL)",
    """CREATE TRIGGER audit_accessevent_no_delete BEFORE DELETE ON audit_accessevent
    WHEN NOT EXISTS (SELECT 1 FROM audit_accessevent_unlock)
    BEGIN SELECT RAISE(ABORT, 'access audit events are never changed or deleted'); END""",
]
SQLITE_UNGUARD = [
    "DROP TRIGGER IF EXISTS audit_accessevent_no_delete",
    "DROP TABLE IF EXISTS audit_accessevent_unlock",
]


def guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_GUARD)
    elif vendor == "sqlite":
        for statement in SQLITE_GUARD:
            schema_editor.execute(statement)


def unguard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UNGUARD)
    elif vendor == "sqlite":
        for statement in SQLITE_UNGUARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_sec_access_events")]

    operations = [migrations.RunPython(guard, unguard)]
