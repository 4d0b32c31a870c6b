"""add the constraints on total_new NOT VALID (new rows are checked from now on)

sqlsafe plan change-type: step 4 of 8.
Locks: ACCESS EXCLUSIVE on shop_order for an instant (catalog change only: no rewrite,
no scan); lock_timeout makes it give up instead of queueing reads behind it
Runs in one transaction (Django wraps the migration in one).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ('shop', '0010_backfill_shop_order_total_new'),
    ]

    operations = [
        migrations.RunSQL(
            sql=[
                "SET LOCAL lock_timeout = '2s';",
                "SET LOCAL statement_timeout = '5s';",
                """-- NOT VALID: rows written from now on are checked; existing rows are checked by VALIDATE in the
-- next migration, which does not block reads or writes.
ALTER TABLE shop_order
    ADD CONSTRAINT shop_order_total_new_not_null_chk CHECK (total_new IS NOT NULL) NOT VALID;""",
            ],
            reverse_sql=[
                "SET LOCAL lock_timeout = '2s';",
                "SET LOCAL statement_timeout = '5s';",
                'ALTER TABLE shop_order DROP CONSTRAINT IF EXISTS shop_order_total_new_not_null_chk;',
            ],
        ),
    ]
