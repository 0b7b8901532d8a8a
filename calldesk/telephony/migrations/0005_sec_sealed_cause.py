"""A hang-up's cause as a phone system sent it is sealed at rest; the known causes stay in clear."""

import calldesk.lib.sealed

from django.db import migrations

from calldesk.lib.frozen_seal_rows import seal_rows


def seal_existing(apps, schema_editor):
    clear = apps.get_model("telephony", "Call")._meta.get_field("end_reason").clear
    seal_rows(schema_editor, "telephony_call", "end_reason", clear)
    seal_rows(schema_editor, "telephony_pendinghangup", "end_reason", clear)


class Migration(migrations.Migration):

    dependencies = [
        ('telephony', '0004_lifecycle_answered_by'),
    ]

    operations = [
        migrations.AlterField(
            model_name='call',
            name='end_reason',
            field=calldesk.lib.sealed.SealedTextField(blank=True, clear=('normalClearing', 'busy', 'cancel', 'noAnswer', 'congestion', 'notFound', 'forwarded', 'answeredElsewhere', 'unknown')),
        ),
        migrations.AlterField(
            model_name='pendinghangup',
            name='end_reason',
            field=calldesk.lib.sealed.SealedTextField(blank=True, clear=('normalClearing', 'busy', 'cancel', 'noAnswer', 'congestion', 'notFound', 'forwarded', 'answeredElsewhere', 'unknown')),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
    ]
