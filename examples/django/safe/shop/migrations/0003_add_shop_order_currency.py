"""add column currency to shop_order (nullable for now) with its default for new rows

sqlsafe new-column: step 1 of 5.
Locks: ACCESS EXCLUSIVE on shop_order for an instant (catalog change only: no rewrite,
no scan); lock_timeout makes it give up instead of queueing reads behind it
Runs in one transaction (Django wraps the migration in one).
The column's default is the database's: give the model field the same default (or
db_default), or the ORM inserts NULL for it.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ('shop', '0002_create_shop_order_status_idx'),
    ]

    operations = [
        migrations.RunSQL(
            sql=[
                "SET LOCAL lock_timeout = '2s';",
                "SET LOCAL statement_timeout = '5s';",
                "ALTER TABLE shop_order ADD COLUMN IF NOT EXISTS currency text DEFAULT 'EUR';",
            ],
            reverse_sql=[
                "SET LOCAL lock_timeout = '2s';",
                "SET LOCAL statement_timeout = '5s';",
                'ALTER TABLE shop_order DROP COLUMN IF EXISTS currency;',
            ],
            state_operations=[
                migrations.AddField(model_name='order', name='currency', field=models.TextField(null=True)),
            ],
        ),
    ]
