"""HAZARD: raw SQL that rewrites the whole table under ACCESS EXCLUSIVE."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0004_remove_order_legacy_code")]
    operations = [
        migrations.RunSQL(
            "ALTER TABLE shop_order ALTER COLUMN customer_id SET DATA TYPE numeric;",
            reverse_sql="ALTER TABLE shop_order ALTER COLUMN customer_id SET DATA TYPE bigint;",
        ),
    ]
