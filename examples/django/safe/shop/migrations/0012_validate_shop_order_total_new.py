"""validate the constraints on total_new against the existing rows

sqlsafe plan change-type: step 5 of 8.
Locks: SHARE UPDATE EXCLUSIVE on shop_order while every row is checked: reads and writes
go on
Runs in one transaction (Django wraps the migration in one).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ('shop', '0011_constrain_shop_order_total_new'),
    ]

    operations = [
        migrations.RunSQL(
            sql=[
                "SET LOCAL lock_timeout = '2s';",
                'ALTER TABLE shop_order VALIDATE CONSTRAINT shop_order_total_new_not_null_chk;',
            ],
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
