"""build index shop_order_status_idx on shop_order without blocking writes

sqlsafe new-index: step 1 of 1.
Locks: SHARE UPDATE EXCLUSIVE on shop_order during the build (two scans, then a wait for
older transactions): reads and writes go on
Runs outside a transaction (atomic = False).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('shop', '0001_initial'),
    ]

    operations = [
        migrations.RunSQL(
            sql=[
                "SET lock_timeout = '2s';",
                """-- Read-only queries to run first: does an index already cover these columns?
--   SELECT indexrelid::regclass, pg_get_indexdef(indexrelid), indisvalid
--   FROM pg_index WHERE indrelid = to_regclass('shop_order');
CREATE INDEX CONCURRENTLY IF NOT EXISTS shop_order_status_idx ON shop_order (status);""",
                """-- If the build failed it left an INVALID index that IF NOT EXISTS would keep: check it.
DO $sqlsafe$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass('shop_order_status_idx') AND NOT indisvalid) THEN
        RAISE EXCEPTION 'index % is INVALID: an earlier CREATE INDEX CONCURRENTLY failed', 'shop_order_status_idx'
            USING HINT = 'run DROP INDEX CONCURRENTLY IF EXISTS ' || 'shop_order_status_idx' || '; then run this migration again';
    END IF;
END
$sqlsafe$;""",
                'RESET lock_timeout;',
            ],
            reverse_sql=[
                "SET lock_timeout = '2s';",
                'DROP INDEX CONCURRENTLY IF EXISTS shop_order_status_idx;',
                'RESET lock_timeout;',
            ],
            state_operations=[
                migrations.AddIndex(
                    model_name='order',
                    index=models.Index(fields=['status'], name='shop_order_status_idx'),
                ),
            ],
        ),
    ]
