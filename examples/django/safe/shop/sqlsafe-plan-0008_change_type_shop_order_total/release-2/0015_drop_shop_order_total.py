"""drop the sync trigger and column total of shop_order

sqlsafe plan change-type: step 8 of 8.
Locks: ACCESS EXCLUSIVE on shop_order for an instant (catalog change only: no rewrite,
no scan); lock_timeout makes it give up instead of queueing reads behind it
Runs in one transaction (Django wraps the migration in one).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ('shop', '0014_analyze_shop_order'),
    ]

    operations = [
        migrations.RunSQL(
            sql=[
                "SET LOCAL lock_timeout = '2s';",
                "SET LOCAL statement_timeout = '5s';",
                'DROP TRIGGER IF EXISTS shop_order_total_new_sync ON shop_order;',
                """-- sqlsafe: ignore drop-function -- the sync trigger's own function, dropped with it
DROP FUNCTION IF EXISTS shop_order_total_new_sync();""",
                """-- Fails (and changes nothing) if a view or another object still depends on total.
-- sqlsafe: ignore drop-column -- the previous release stopped reading and writing this column
ALTER TABLE shop_order DROP COLUMN IF EXISTS total;""",
            ],
            # no reverse_sql: this step cannot be undone
            state_operations=[
                migrations.RemoveField(model_name='order', name='total'),
            ],
        ),
    ]
