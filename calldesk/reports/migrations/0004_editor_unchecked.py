from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_list_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="callreport",
            name="unchecked",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
