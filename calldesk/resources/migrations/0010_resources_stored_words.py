from django.db import migrations

# PostgreSQL: each service's words as a stored tsvector, computed by the database whenever the
# index row is written (an import or an edit, in its transaction), GIN-indexed. The expression
# index it replaces made PostgreSQL compute to_tsvector(doc) again for every row it rechecked
# (all of a language's services, when the language led), and gave the planner no statistics of
# the words. SQLite searches its FTS5 table and needs nothing.
POSTGRES = [
    "ALTER TABLE resources_serviceindex ADD COLUMN words tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', doc)) STORED",
    "CREATE INDEX resources_serviceindex_words ON resources_serviceindex USING gin (words)",
    "DROP INDEX IF EXISTS resources_serviceindex_fts",
]
UNDO = [
    "CREATE INDEX IF NOT EXISTS resources_serviceindex_fts ON resources_serviceindex "
    "USING gin (to_tsvector('simple', doc))",
    "DROP INDEX IF EXISTS resources_serviceindex_words",
    "ALTER TABLE resources_serviceindex DROP COLUMN IF EXISTS words",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in UNDO:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("resources", "0009_resources_import_job_runner"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
