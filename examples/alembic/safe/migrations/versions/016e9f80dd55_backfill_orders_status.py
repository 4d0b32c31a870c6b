"""backfill orders in batches

sqlsafe backfill: step 1 of 2.
Locks: ROW EXCLUSIVE on orders and the row locks of one batch at a time; every batch
commits, so no lock is held for long
Runs outside a transaction, in op.get_context().autocommit_block().

Revision ID: 016e9f80dd55
Revises: 1ffdad349a45Create Date: 2026-12-02 15:17:36
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = '016e9f80dd55'
down_revision = '1ffdad349a45'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("SET lock_timeout = '2s';")
        op.execute("""-- Batches of 1000 rows in id order (keyset pagination: no OFFSET, so no row
-- is skipped or read twice), each batch in its own transaction. Progress is saved in
-- sqlsafe_backfill after every batch: rerun this file after an interruption and it resumes
-- after the last committed batch. The job's name ends with a hash of what it computes, so a
-- backfill with another SET or WHERE starts again. Watch it: SELECT * FROM sqlsafe_backfill;
DO $sqlsafe$
#variable_conflict use_column
DECLARE
    _sqlsafe_last orders.id%TYPE;
    _sqlsafe_end orders.id%TYPE;
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
    INSERT INTO sqlsafe_backfill (job) VALUES ('orders:status#aa193d37ee') ON CONFLICT (job) DO NOTHING;
    SELECT b.last_key, b.rows_done INTO _sqlsafe_saved, _sqlsafe_total
        FROM sqlsafe_backfill b WHERE b.job = 'orders:status#aa193d37ee';
    _sqlsafe_last := _sqlsafe_saved;
    COMMIT;
    LOOP
        -- the batch's last key (ORDER BY, not max(): any orderable key type, uuid too)
        IF _sqlsafe_last IS NULL THEN
            SELECT k.id INTO _sqlsafe_end
                FROM (SELECT t.id FROM orders t ORDER BY t.id LIMIT 1000) k
                ORDER BY k.id DESC LIMIT 1;
        ELSE
            SELECT k.id INTO _sqlsafe_end
                FROM (SELECT t.id FROM orders t WHERE t.id > _sqlsafe_last
                      ORDER BY t.id LIMIT 1000) k
                ORDER BY k.id DESC LIMIT 1;
        END IF;
        EXIT WHEN _sqlsafe_end IS NULL;
        UPDATE orders
            SET status = lower(status)
            WHERE (_sqlsafe_last IS NULL OR orders.id > _sqlsafe_last)
              AND orders.id <= _sqlsafe_end;
        GET DIAGNOSTICS _sqlsafe_rows = ROW_COUNT;
        _sqlsafe_total := _sqlsafe_total + _sqlsafe_rows;
        _sqlsafe_last := _sqlsafe_end;
        UPDATE sqlsafe_backfill
            SET last_key = _sqlsafe_end::text, rows_done = _sqlsafe_total, updated_at = now()
            WHERE job = 'orders:status#aa193d37ee';
        COMMIT;
        RAISE NOTICE 'sqlsafe backfill %: % rows so far, up to id %', 'orders:status#aa193d37ee', _sqlsafe_total, _sqlsafe_end;
    END LOOP;
    UPDATE sqlsafe_backfill SET finished = true, updated_at = now() WHERE job = 'orders:status#aa193d37ee';
    COMMIT;
END
$sqlsafe$;""")
        op.execute('RESET lock_timeout;')


def downgrade() -> None:
    pass  # nothing to undo
