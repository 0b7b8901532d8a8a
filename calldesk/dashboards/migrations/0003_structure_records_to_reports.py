"""Exports and retention runs now belong to reports (reports 0008 takes them over): dashboards
forget them without dropping their tables, which reports keeps using under the same names."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('dashboards', '0002_sec_sealed_filters'),
        ('reports', '0012_craft_unique_numbers'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='ExportRecord'),
                migrations.DeleteModel(name='RetentionRun'),
            ],
            database_operations=[],
        ),
    ]
