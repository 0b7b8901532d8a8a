import calldesk.lib.sealed
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0004_crypt_sealed"),
    ]

    operations = [
        migrations.AddField(
            model_name="callreport",
            name="unchecked",
            field=calldesk.lib.sealed.SealedJSONField(blank=True, default=dict),
        ),
    ]
