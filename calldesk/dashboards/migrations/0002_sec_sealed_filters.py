"""An export's recorded filters (which may name a caller's number) are sealed at rest."""

import calldesk.lib.sealed

from django.db import migrations

from calldesk.lib.frozen_seal_rows import seal_rows


def seal_existing(apps, schema_editor):
    seal_rows(schema_editor, "dashboards_exportrecord", "filters", empty=("", "{}", "[]"))


class Migration(migrations.Migration):

    dependencies = [
        ('dashboards', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='exportrecord',
            name='filters',
            field=calldesk.lib.sealed.SealedJSONField(default=dict),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
    ]
