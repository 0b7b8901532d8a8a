"""Reports' migrations 0004 to 0011 as one, so that no two migrations of the app share a number
(two were numbered 0004). A database that applied them under their old names has this one marked
applied by `migrate` (`replaces`); a new one runs it. Its operations and data functions are those
of the migrations it replaces, unchanged (their data functions call frozen copies in
calldesk/lib/frozen_*.py, never live code)."""

import calldesk.lib.sealed
import django.db.migrations.operations.special
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


BATCH = 500


def _empty(value):
    return value is None or value == "" or value == []


def drop_empty_values(apps, schema_editor):
    """Empty field values become one thing: no key (JSON null, "" or [] were all kept)."""
    CallReport = apps.get_model("reports", "CallReport")
    last = 0
    while True:
        batch = list(CallReport.objects.filter(pk__gt=last).order_by("pk").only("pk", "values")[:BATCH])
        if not batch:
            return
        changed = []
        for report in batch:
            values = report.values if isinstance(report.values, dict) else {}
            kept = {key: value for key, value in values.items() if not _empty(value)}
            if kept != report.values:
                report.values = kept
                changed.append(report)
        if changed:
            CallReport.objects.bulk_update(changed, ["values"])
        last = batch[-1].pk


def seal_existing_rows(apps, schema_editor):
    from calldesk.lib.frozen_reseal import reseal_model  # its own frozen copy

    for name in ("CallReport", "ReportChange",):
        reseal_model(apps.get_model("reports", name), using=schema_editor.connection.alias, progress=lambda tally: None)


def index_existing(apps, schema_editor):
    # Reports written before the index: found by a word from the first start on.
    from calldesk.lib.frozen_search_tokens import index_reports  # its own frozen copy

    index_reports(apps)


class Migration(migrations.Migration):
    # Not one transaction: on PostgreSQL a table whose rows a data step changed cannot be altered
    # in the same transaction (pending trigger events). Each data step is a transaction of its
    # own, as each was when these were separate migrations.
    atomic = False

    replaces = [('reports', '0004_ux_empty_values'), ('reports', '0005_ux_reopen_action'), ('reports', '0004_crypt_sealed'), ('reports', '0006_editor_unchecked'), ('reports', '0007_lifecycle_answered_elsewhere'), ('reports', '0008_followups_history_action'), ('reports', '0009_scale_search_tokens'), ('reports', '0010_scale_list_indexes'), ('reports', '0011_structure_own_records')]

    dependencies = [
        ('accounts', '0001_initial'),
        ('accounts', '0003_sec_login_attempts'),
        ('callforms', '0001_initial'),
        ('callforms', '0002_perf_setup_version'),
        ('dashboards', '0002_sec_sealed_filters'),
        ('reports', '0003_list_indexes'),
        ('telephony', '0007_craft_unique_numbers'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(
            code=drop_empty_values,
            reverse_code=django.db.migrations.operations.special.RunPython.noop,
            atomic=True,
        ),
        migrations.AlterField(
            model_name='reportchange',
            name='action',
            field=models.CharField(choices=[('created', 'Created'), ('saved', 'Saved'), ('submitted', 'Submitted'), ('corrected', 'Corrected'), ('closed', 'Closed'), ('abandoned', 'Closed as abandoned'), ('reopened', 'Reopened'), ('redacted', 'Personal data removed')], max_length=12),
        ),
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
        migrations.RunPython(
            code=seal_existing_rows,
            reverse_code=django.db.migrations.operations.special.RunPython.noop,
            atomic=True,
        ),
        migrations.AddField(
            model_name='callreport',
            name='unchecked',
            field=calldesk.lib.sealed.SealedJSONField(blank=True, default=dict),
        ),
        migrations.RemoveConstraint(
            model_name='callreport',
            name='report_submitted_has_time',
        ),
        migrations.AlterField(
            model_name='callreport',
            name='status',
            field=models.CharField(choices=[('draft', 'Draft'), ('submitted', 'Submitted'), ('closed', 'Closed'), ('abandoned', 'Abandoned'), ('elsewhere', 'Answered elsewhere')], default='draft', max_length=12),
        ),
        migrations.AlterField(
            model_name='reportchange',
            name='action',
            field=models.CharField(choices=[('created', 'Created'), ('saved', 'Saved'), ('submitted', 'Submitted'), ('corrected', 'Corrected'), ('closed', 'Closed'), ('abandoned', 'Closed as abandoned'), ('reopened', 'Reopened'), ('elsewhere', 'Withdrawn: answered elsewhere'), ('redacted', 'Personal data removed')], max_length=12),
        ),
        migrations.AddConstraint(
            model_name='callreport',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'draft'), ('submitted_at__isnull', True)), ('status__in', ['abandoned', 'elsewhere']), models.Q(('status__in', ['submitted', 'closed']), ('submitted_at__isnull', False)), _connector='OR'), name='report_submitted_has_time'),
        ),
        migrations.AlterField(
            model_name='reportchange',
            name='action',
            field=models.CharField(choices=[('created', 'Created'), ('saved', 'Saved'), ('submitted', 'Submitted'), ('corrected', 'Corrected'), ('closed', 'Closed'), ('abandoned', 'Closed as abandoned'), ('reopened', 'Reopened'), ('elsewhere', 'Withdrawn: answered elsewhere'), ('redacted', 'Personal data removed'), ('follow_up', 'Follow-up')], max_length=12),
        ),
        migrations.CreateModel(
            name='ReportToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token', models.BigIntegerField()),
                ('report', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='reports.callreport')),
            ],
            options={
                'indexes': [models.Index(fields=['token', 'report'], name='report_token_idx')],
            },
        ),
        migrations.RunPython(
            code=index_existing,
            reverse_code=django.db.migrations.operations.special.RunPython.noop,
            atomic=True,
        ),
        migrations.AddIndex(
            model_name='callreport',
            index=models.Index(fields=['form', 'call_start'], name='report_form_start_idx'),
        ),
        migrations.AddIndex(
            model_name='callreport',
            index=models.Index(fields=['organization', 'status', 'call_start'], name='report_org_status_start_idx'),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='RetentionRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('started_at', models.DateTimeField(auto_now_add=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('retention_days', models.PositiveIntegerField()),
                        ('cutoff', models.DateTimeField()),
                        ('reports_redacted', models.PositiveIntegerField(default=0)),
                        ('calls_redacted', models.PositiveIntegerField(default=0)),
                        ('exports_redacted', models.PositiveIntegerField(default=0)),
                        ('field_keys', models.JSONField(default=list)),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='retention_runs', to='accounts.organization')),
                    ],
                    options={
                        'db_table': 'dashboards_retentionrun',
                        'ordering': ['-started_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='ExportRecord',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('started_at', models.DateTimeField(auto_now_add=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('format', models.CharField(choices=[('csv', 'CSV'), ('xlsx', 'Excel (XLSX)')], max_length=8)),
                        ('filters', calldesk.lib.sealed.SealedJSONField(default=dict)),
                        ('rows', models.PositiveIntegerField(default=0)),
                        ('complete', models.BooleanField(default=False)),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='exports', to='accounts.organization')),
                        ('user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='exports', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'dashboards_exportrecord',
                        'indexes': [models.Index(fields=['organization', 'started_at'], name='export_org_started_idx')],
                    },
                ),
            ],
        ),
    ]
