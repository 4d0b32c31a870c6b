"""HAZARD: a NOT NULL field with a one-off default (Django adds it with a DEFAULT, then
drops the default: rows are written under ACCESS EXCLUSIVE on old PostgreSQL versions),
and a field type change that rewrites the table under ACCESS EXCLUSIVE."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0002_order_status_index")]
    operations = [
        migrations.AddField(
            model_name="order",
            name="currency",
            field=models.TextField(default="EUR"),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="order",
            name="total",
            field=models.DecimalField(max_digits=12, decimal_places=2),
        ),
    ]
