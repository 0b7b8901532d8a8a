from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("callforms", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="callform",
            name="setup_version",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
    ]
