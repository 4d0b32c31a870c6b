"""HAZARD: AddIndex is a plain CREATE INDEX: every write to shop_order waits for the build."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["status"], name="shop_order_status_idx"),
        ),
    ]
