"""The authenticator apps' shared secrets are sealed at rest."""

import calldesk.lib.sealed

from django.db import migrations

from calldesk.lib.frozen_seal_rows import seal_rows


def seal_existing(apps, schema_editor):
    seal_rows(schema_editor, "accounts_twofactordevice", "secret")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_sec_code_and_token_failures'),
    ]

    operations = [
        migrations.AlterField(
            model_name='twofactordevice',
            name='secret',
            field=calldesk.lib.sealed.SealedTextField(),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
    ]
