"""refresh the planner statistics of shop_order

sqlsafe new-column: step 5 of 5.
Locks: SHARE UPDATE EXCLUSIVE on shop_order while rows are sampled: reads and writes go
on
Runs in one transaction (Django wraps the migration in one).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ('shop', '0006_set_not_null_shop_order_currency'),
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
