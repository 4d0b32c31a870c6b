"""mark currency NOT NULL using the validated check, then drop the check

sqlsafe new-column: step 4 of 5.
Locks: ACCESS EXCLUSIVE on shop_order for an instant: the validated check spares the
scan
Runs in one transaction (Django wraps the migration in one).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ('shop', '0005_validate_shop_order_currency'),
    ]

    operations = [
        migrations.RunSQL(
            sql=[
                "SET LOCAL lock_timeout = '2s';",
                "SET LOCAL statement_timeout = '5s';",
                """-- The validated check proves the column holds no NULL: SET NOT NULL skips the table scan.
ALTER TABLE shop_order ALTER COLUMN currency SET NOT NULL;""",
                'ALTER TABLE shop_order DROP CONSTRAINT IF EXISTS shop_order_currency_not_null_chk;',
            ],
            reverse_sql=[
                "SET LOCAL lock_timeout = '2s';",
                "SET LOCAL statement_timeout = '5s';",
                'ALTER TABLE shop_order ALTER COLUMN currency DROP NOT NULL;',
            ],
            state_operations=[
                migrations.AlterField(model_name='order', name='currency', field=models.TextField()),
            ],
        ),
    ]
