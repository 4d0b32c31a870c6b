"""build index orders_status_idx on orders without blocking writes

sqlsafe new-index: step 1 of 1.
Locks: SHARE UPDATE EXCLUSIVE on orders during the build (two scans, then a wait for
older transactions): reads and writes go on
Runs outside a transaction, in op.get_context().autocommit_block().

Revision ID: c0cf402c0447
Revises: 0001Create Date: 2026-12-02 15:17:28
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = 'c0cf402c0447'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("SET lock_timeout = '2s';")
        op.execute("""-- Read-only queries to run first: does an index already cover these columns?
--   SELECT indexrelid::regclass, pg_get_indexdef(indexrelid), indisvalid
--   FROM pg_index WHERE indrelid = to_regclass('orders');
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_status_idx ON orders (status);""")
        op.execute("""-- If the build failed it left an INVALID index that IF NOT EXISTS would keep: check it.
DO $sqlsafe$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass('orders_status_idx') AND NOT indisvalid) THEN
        RAISE EXCEPTION 'index % is INVALID: an earlier CREATE INDEX CONCURRENTLY failed', 'orders_status_idx'
            USING HINT = 'run DROP INDEX CONCURRENTLY IF EXISTS ' || 'orders_status_idx' || '; then run this migration again';
    END IF;
END
$sqlsafe$;""")
        op.execute('RESET lock_timeout;')


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("SET lock_timeout = '2s';")
        op.execute('DROP INDEX CONCURRENTLY IF EXISTS orders_status_idx;')
        op.execute('RESET lock_timeout;')
