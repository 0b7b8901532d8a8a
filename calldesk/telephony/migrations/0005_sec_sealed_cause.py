"""A hang-up's cause as a phone system sent it is sealed at rest; the known causes stay in clear."""

import calldesk.lib.sealed
import json

from django.db import migrations


def seal_rows(schema_editor, table, column, clear=(), empty=("",)):
    """Seals the column's values written before it was sealed (a frozen copy of the field's
    rule: empty values and the words in `clear` stay as they are)."""
    from calldesk.lib.crypto import is_sealed, seal

    connection = schema_editor.connection
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        # The table and column are this migration's own names, quoted; values go as parameters.
        cursor.execute(f"SELECT id, {quote(column)} FROM {quote(table)}")  # nosec B608 - own names
        rows = [(pk, value) for pk, value in cursor.fetchall() if value is not None]
        for pk, value in rows:
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            if text in empty or text in clear or is_sealed(text):
                continue
            update = f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE id = %s"  # nosec B608 - own names
            cursor.execute(update, [seal(text), pk])


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
