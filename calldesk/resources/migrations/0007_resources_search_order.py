from django.db import migrations

# Search lists services by name when nothing else ranks them (a term, a language, open now): an
# index in that order (code point order on PostgreSQL too, as search.py sorts) lets the database
# stop at the first page instead of sorting every active service.
POSTGRES = [
    'CREATE INDEX resources_serviceindex_name ON resources_serviceindex (owner_id, name_text COLLATE "C", service_id) '
    "WHERE active"
]
SQLITE = [
    "CREATE INDEX resources_serviceindex_name ON resources_serviceindex (owner_id, name_text, service_id) WHERE active"
]
UNDO = ["DROP INDEX IF EXISTS resources_serviceindex_name"]


def forward(apps, schema_editor):
    for statement in POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    for statement in UNDO:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("resources", "0006_resources_term_parent_index"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
