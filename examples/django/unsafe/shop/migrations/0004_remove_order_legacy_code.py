"""HAZARD: the running code still selects legacy_code (Django selects every field)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0003_order_currency_total")]
    operations = [
        migrations.RemoveField(model_name="order", name="legacy_code"),
    ]
