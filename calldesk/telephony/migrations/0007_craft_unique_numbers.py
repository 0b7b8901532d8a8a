"""Telephony's migrations 0003 to 0006 as one, so that no two migrations of the app share a number
(two were numbered 0003). A database that applied them under their old names has this one marked
applied by `migrate` (`replaces`); a new one runs it. Its operations and data functions are those
of the migrations it replaces, unchanged."""

import calldesk.lib.sealed
import django.db.migrations.operations.special
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def forget_repeated_call_ids(apps, schema_editor):
    """Calls recorded before the constraint may share a callId (the telephony URL opened twice):
    the first keeps it, the later ones keep their parameters (callid is among them) but not
    the link used to find them by callId."""
    Call = apps.get_model("telephony", "Call")
    seen = set()
    for pk, org_id, external_id in (
        Call.objects.exclude(external_id="").order_by("received_at", "id").values_list("id", "organization_id", "external_id")
    ):
        if (org_id, external_id) in seen:
            Call.objects.filter(pk=pk).update(external_id="")
        seen.add((org_id, external_id))


def seal_existing_rows(apps, schema_editor):
    from calldesk.lib.frozen_reseal import reseal_model  # its own frozen copy

    for name in ("Call",):
        reseal_model(apps.get_model("telephony", name), using=schema_editor.connection.alias, progress=lambda tally: None)


def seal_existing_causes(apps, schema_editor):
    from calldesk.lib.frozen_seal_rows import seal_rows  # its own frozen copy

    clear = apps.get_model("telephony", "Call")._meta.get_field("end_reason").clear
    seal_rows(schema_editor, "telephony_call", "end_reason", clear)
    seal_rows(schema_editor, "telephony_pendinghangup", "end_reason", clear)



class Migration(migrations.Migration):
    # Not one transaction: on PostgreSQL a table whose rows a data step changed cannot be altered
    # in the same transaction (pending trigger events). Each data step is a transaction of its
    # own, as each was when these were separate migrations.
    atomic = False

    replaces = [('telephony', '0003_api_call_id_unique'), ('telephony', '0003_crypt_sealed'), ('telephony', '0004_lifecycle_answered_by'), ('telephony', '0005_sec_sealed_cause'), ('telephony', '0006_board_live_calls')]

    dependencies = [
        ('accounts', '0001_initial'),
        ('accounts', '0003_sec_login_attempts'),
        ('callforms', '0001_initial'),
        ('telephony', '0002_call_answered_at'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PendingHangup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('external_id', models.CharField(max_length=250)),
                ('ended_at', models.DateTimeField()),
                ('end_reason', models.CharField(blank=True, max_length=40)),
                ('received_at', models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.AlterField(
            model_name='call',
            name='external_id',
            field=models.CharField(blank=True, max_length=250),
        ),
        migrations.RunPython(
            code=forget_repeated_call_ids,
            reverse_code=django.db.migrations.operations.special.RunPython.noop,
            atomic=True,
        ),
        migrations.AddConstraint(
            model_name='call',
            constraint=models.UniqueConstraint(condition=models.Q(('external_id', ''), _negated=True), fields=('organization', 'external_id'), name='call_external_id_unique'),
        ),
        migrations.AddField(
            model_name='pendinghangup',
            name='organization',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='pending_hangups', to='accounts.organization'),
        ),
        migrations.AddConstraint(
            model_name='pendinghangup',
            constraint=models.UniqueConstraint(fields=('organization', 'external_id'), name='pending_hangup_unique'),
        ),
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
        migrations.RunPython(
            code=seal_existing_rows,
            reverse_code=django.db.migrations.operations.special.RunPython.noop,
            atomic=True,
        ),
        migrations.AddField(
            model_name='call',
            name='answered_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='calls_answered', to=settings.AUTH_USER_MODEL),
        ),
        migrations.CreateModel(
            name='PendingAnswer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('external_id', models.CharField(max_length=250)),
                ('answered_at', models.DateTimeField()),
                ('agent', models.CharField(blank=True, max_length=250)),
                ('received_at', models.DateTimeField(auto_now_add=True)),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='pending_answers', to='accounts.organization')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('organization', 'external_id'), name='pending_answer_unique')],
            },
        ),
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
        migrations.RunPython(
            code=seal_existing_causes,
            reverse_code=django.db.migrations.operations.special.RunPython.noop,
            atomic=True,
        ),
        migrations.AddIndex(
            model_name='call',
            index=models.Index(condition=models.Q(('ended_at__isnull', True)), fields=['organization', 'received_at'], name='call_live_idx'),
        ),
    ]
