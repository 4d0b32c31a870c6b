"""HAZARD: a data migration that updates every row in one transaction."""

from django.db import migrations


def lowercase(apps, schema_editor):
    Order = apps.get_model("shop", "Order")
    for order in Order.objects.all():
        order.status = order.status.lower()
        order.save(update_fields=["status"])


class Migration(migrations.Migration):
    dependencies = [("shop", "0005_customer_id_numeric")]
    operations = [
        migrations.RunPython(lowercase, migrations.RunPython.noop),
    ]
