"""Empty field values become one thing: no key.

Reports used to keep an empty field as JSON null, "" or [] depending on how it was written;
on SQLite a null reads as the text `null`, so a filter for `nu` matched it and the charts
counted it apart from "(none)". The rows are rewritten in batches, by primary key."""

from django.db import migrations

BATCH = 500


def _empty(value):
    return value is None or value == "" or value == []


def drop_empty_values(apps, schema_editor):
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


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_list_indexes")]

    operations = [migrations.RunPython(drop_empty_values, migrations.RunPython.noop)]
