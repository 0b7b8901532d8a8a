"""A day settles 12 hours after it ends, not 3 days (dashboards.rollup.SETTLED_AFTER).

Days not settled are counted from the reports on every view: at 10 million reports a year, the
three and a half days that were live on average were ~80,000 reports counted for each view of the
30-day dashboard. So the triggers of 0004 bump a day for writes of rows older than 6 hours
instead of 2 days. The hot path is unchanged: a pop and a draft's autosaves during the call
write rows of the last minutes, which never run the triggers' body.

Kept days stay exact across the change: a day kept under the old cut was settled under it, and
every write to it since bumped it; the days between 12 hours and 3 days old were never kept.
"""

import importlib

from django.db import migrations

triggers = importlib.import_module("calldesk.dashboards.migrations.0004_day_counts")

CUT = "6 hours"


def cut_to(cut: str):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in [*triggers.statements(vendor, undo=True), *triggers.statements(vendor, undo=False, cut=cut)]:
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0004_day_counts"),
    ]

    operations = [
        migrations.RunPython(cut_to(CUT), cut_to(triggers.CUT), elidable=False),
    ]
