"""Caller data sealed at rest (docs/security.md): the columns change type, then every existing
row is sealed with the current key (a frozen copy of the code of `calldesk crypto rotate`, which also fills the
phone hashes)."""

import calldesk.lib.sealed
from django.db import migrations


def seal_existing_rows(apps, schema_editor):
    from calldesk.vault.frozen_reseal import reseal_model  # its own frozen copy

    for name in ("Call",):
        reseal_model(apps.get_model("telephony", name), using=schema_editor.connection.alias, progress=lambda tally: None)


class Migration(migrations.Migration):

    dependencies = [
        ('telephony', '0002_call_answered_at'),
        ('telephony', '0003_api_call_id_unique'),
    ]

    operations = [
        migrations.AlterField(
            model_name='call',
            name='notices',
            field=calldesk.lib.sealed.SealedJSONField(default=list),
        ),
        migrations.AlterField(
            model_name='call',
            name='params',
            field=calldesk.lib.sealed.SealedJSONField(default=list),
        ),
        migrations.AlterField(
            model_name='call',
            name='resolved',
            field=calldesk.lib.sealed.SealedJSONField(default=dict),
        ),
        migrations.AlterField(
            model_name='call',
            name='unmapped',
            field=calldesk.lib.sealed.SealedJSONField(default=list),
        ),
        migrations.RunPython(seal_existing_rows, migrations.RunPython.noop),
    ]
