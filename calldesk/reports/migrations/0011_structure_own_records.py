"""Exports and retention runs become reports' records. Only Django's picture of the models
moves: the tables keep their names (`db_table`), so an existing installation's rows stay where
they are and nothing is copied or renamed."""

import calldesk.lib.sealed
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('dashboards', '0002_sec_sealed_filters'),
        ('reports', '0010_scale_list_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
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
            database_operations=[],
        ),
    ]
