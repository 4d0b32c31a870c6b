"""refresh the planner statistics of shop_order

sqlsafe backfill: step 2 of 2.
Locks: SHARE UPDATE EXCLUSIVE on shop_order while rows are sampled: reads and writes go
on
Runs in one transaction (Django wraps the migration in one).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ('shop', '0015_backfill_shop_order_status'),
    ]

    operations = [
        migrations.RunSQL(
            sql=[
                "SET LOCAL lock_timeout = '2s';",
                'ANALYZE shop_order;',
            ],
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
