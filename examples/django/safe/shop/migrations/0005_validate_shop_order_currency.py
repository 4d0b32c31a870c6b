"""validate the constraints on currency against the existing rows

sqlsafe new-column: step 3 of 5.
Locks: SHARE UPDATE EXCLUSIVE on shop_order while every row is checked: reads and writes
go on
Runs in one transaction (Django wraps the migration in one).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ('shop', '0004_constrain_shop_order_currency'),
    ]

    operations = [
        migrations.RunSQL(
            sql=[
                "SET LOCAL lock_timeout = '2s';",
                'ALTER TABLE shop_order VALIDATE CONSTRAINT shop_order_currency_not_null_chk;',
            ],
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
