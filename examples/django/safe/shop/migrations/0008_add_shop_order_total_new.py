"""add column total_new to shop_order (nullable for now)

sqlsafe plan change-type: step 1 of 8.
Locks: ACCESS EXCLUSIVE on shop_order for an instant (catalog change only: no rewrite,
no scan); lock_timeout makes it give up instead of queueing reads behind it
Runs in one transaction (Django wraps the migration in one).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ('shop', '0007_analyze_shop_order'),
    ]

    operations = [
        migrations.RunSQL(
            sql=[
                "SET LOCAL lock_timeout = '2s';",
                "SET LOCAL statement_timeout = '5s';",
                'ALTER TABLE shop_order ADD COLUMN IF NOT EXISTS total_new numeric(12, 2);',
            ],
            reverse_sql=[
                "SET LOCAL lock_timeout = '2s';",
                "SET LOCAL statement_timeout = '5s';",
                'ALTER TABLE shop_order DROP COLUMN IF EXISTS total_new;',
            ],
            state_operations=[
                migrations.AddField(model_name='order', name='total_new', field=models.DecimalField(max_digits=12, decimal_places=2, null=True)),
            ],
        ),
    ]
