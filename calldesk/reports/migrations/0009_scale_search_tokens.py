import django.db.models.deletion
from django.db import migrations, models


def index_existing(apps, schema_editor):  # type: ignore[no-untyped-def]
    # Reports written before the index: found by a word from the first start on.
    from calldesk.lib.frozen_search_tokens import index_reports  # its own frozen copy

    index_reports(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0008_followups_history_action"),
        ("callforms", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReportToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.BigIntegerField()),
                (
                    "report",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="reports.callreport"
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["token", "report"], name="report_token_idx")],
            },
        ),
        migrations.RunPython(index_existing, migrations.RunPython.noop),
    ]
