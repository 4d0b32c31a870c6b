"""fill total_new for the rows already in shop_order, in batches

sqlsafe plan change-type: step 3 of 8.
Locks: ROW EXCLUSIVE on shop_order and the row locks of one batch at a time; every batch
commits, so no lock is held for long
Runs outside a transaction (atomic = False).
"""

from django.db import migrations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('shop', '0009_sync_shop_order_total_new'),
    ]

    operations = [
        migrations.RunSQL(
            sql=[
                "SET lock_timeout = '2s';",
                """-- Batches of 1000 rows in id order (keyset pagination: no OFFSET, so no row
-- is skipped or read twice), each batch in its own transaction. Progress is saved in
-- sqlsafe_backfill after every batch: rerun this file after an interruption and it resumes
-- after the last committed batch. The job's name ends with a hash of what it computes, so a
-- backfill with another SET or WHERE starts again. Watch it: SELECT * FROM sqlsafe_backfill;
DO $sqlsafe$
#variable_conflict use_column
DECLARE
    _sqlsafe_last shop_order.id%TYPE;
    _sqlsafe_end shop_order.id%TYPE;
    _sqlsafe_saved text;
    _sqlsafe_rows bigint;
    _sqlsafe_total bigint;
BEGIN
    PERFORM set_config('lock_timeout', '2s', false);
    CREATE TABLE IF NOT EXISTS sqlsafe_backfill (
        job text PRIMARY KEY,
        last_key text,
        rows_done bigint NOT NULL DEFAULT 0,
        finished boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO sqlsafe_backfill (job) VALUES ('shop_order:total_new#23d2c4cd07') ON CONFLICT (job) DO NOTHING;
    SELECT b.last_key, b.rows_done INTO _sqlsafe_saved, _sqlsafe_total
        FROM sqlsafe_backfill b WHERE b.job = 'shop_order:total_new#23d2c4cd07';
    _sqlsafe_last := _sqlsafe_saved;
    COMMIT;
    LOOP
        -- the batch's last key (ORDER BY, not max(): any orderable key type, uuid too)
        IF _sqlsafe_last IS NULL THEN
            SELECT k.id INTO _sqlsafe_end
                FROM (SELECT t.id FROM shop_order t ORDER BY t.id LIMIT 1000) k
                ORDER BY k.id DESC LIMIT 1;
        ELSE
            SELECT k.id INTO _sqlsafe_end
                FROM (SELECT t.id FROM shop_order t WHERE t.id > _sqlsafe_last
                      ORDER BY t.id LIMIT 1000) k
                ORDER BY k.id DESC LIMIT 1;
        END IF;
        EXIT WHEN _sqlsafe_end IS NULL;
        UPDATE shop_order
            SET total_new = CAST(total AS numeric(12, 2))
            WHERE (_sqlsafe_last IS NULL OR shop_order.id > _sqlsafe_last)
              AND shop_order.id <= _sqlsafe_end
              AND (total_new IS NULL);
        GET DIAGNOSTICS _sqlsafe_rows = ROW_COUNT;
        _sqlsafe_total := _sqlsafe_total + _sqlsafe_rows;
        _sqlsafe_last := _sqlsafe_end;
        UPDATE sqlsafe_backfill
            SET last_key = _sqlsafe_end::text, rows_done = _sqlsafe_total, updated_at = now()
            WHERE job = 'shop_order:total_new#23d2c4cd07';
        COMMIT;
        RAISE NOTICE 'sqlsafe backfill %: % rows so far, up to id %', 'shop_order:total_new#23d2c4cd07', _sqlsafe_total, _sqlsafe_end;
    END LOOP;
    UPDATE sqlsafe_backfill SET finished = true, updated_at = now() WHERE job = 'shop_order:total_new#23d2c4cd07';
    COMMIT;
END
$sqlsafe$;""",
                'RESET lock_timeout;',
            ],
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
