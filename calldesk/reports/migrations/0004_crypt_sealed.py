"""Caller data sealed at rest (docs/security.md): the columns change type, then every existing
row is sealed with the current key (a frozen copy of the code of `calldesk crypto rotate`, which also fills the
phone hashes)."""

import calldesk.lib.sealed
from django.conf import settings
from django.db import migrations, models


def seal_existing_rows(apps, schema_editor):
    from calldesk.vault.frozen_reseal import reseal_model  # its own frozen copy

    for name in ("CallReport", "ReportChange",):
        reseal_model(apps.get_model("reports", name), using=schema_editor.connection.alias, progress=lambda tally: None)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('callforms', '0001_initial'),
        ('reports', '0003_list_indexes'),
        # After ux's clean-up of empty values, which reads the values before they are sealed.
        ('reports', '0005_ux_reopen_action'),
        ('telephony', '0003_crypt_sealed'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='callreport',
            name='report_repeat_caller_idx',
        ),
        migrations.AddField(
            model_name='callreport',
            name='phone_hash',
            field=calldesk.lib.sealed.PhoneHashField(blank=True, editable=False, max_length=32, source='phone_e164'),
        ),
        migrations.AlterField(
            model_name='callreport',
            name='phone_e164',
            field=calldesk.lib.sealed.SealedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name='callreport',
            name='phone_raw',
            field=calldesk.lib.sealed.SealedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name='callreport',
            name='values',
            field=calldesk.lib.sealed.PersonalValuesField(default=dict),
        ),
        migrations.AlterField(
            model_name='reportchange',
            name='changes',
            field=calldesk.lib.sealed.SealedJSONField(default=dict),
        ),
        migrations.AddIndex(
            model_name='callreport',
            index=models.Index(fields=['organization', 'phone_hash', 'call_start'], name='report_repeat_caller_idx'),
        ),
        migrations.RunPython(seal_existing_rows, migrations.RunPython.noop),
    ]
