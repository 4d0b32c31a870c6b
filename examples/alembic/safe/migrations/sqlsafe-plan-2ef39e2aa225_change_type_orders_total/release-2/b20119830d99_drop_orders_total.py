"""drop the sync trigger and column total of orders

sqlsafe plan change-type: step 8 of 8.
Locks: ACCESS EXCLUSIVE on orders for an instant (catalog change only: no rewrite, no
scan); lock_timeout makes it give up instead of queueing reads behind it
Runs in a transaction of its own: the empty autocommit block first commits what ran
before it, whether or not env.py sets transaction_per_migration.

Revision ID: b20119830d99
Revises: 1ffdad349a45Create Date: 2026-12-02 15:17:32
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = 'b20119830d99'
down_revision = '1ffdad349a45'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # commits what ran before, so this revision runs in a transaction of its own
    with op.get_context().autocommit_block():
        pass
    op.execute("SET LOCAL lock_timeout = '2s';")
    op.execute("SET LOCAL statement_timeout = '5s';")
    op.execute('DROP TRIGGER IF EXISTS orders_total_new_sync ON orders;')
    op.execute("""-- sqlsafe: ignore drop-function -- the sync trigger's own function, dropped with it
DROP FUNCTION IF EXISTS orders_total_new_sync();""")
    op.execute("""-- Fails (and changes nothing) if a view or another object still depends on total.
-- sqlsafe: ignore drop-column -- the previous release stopped reading and writing this column
ALTER TABLE orders DROP COLUMN IF EXISTS total;""")


def downgrade() -> None:
    raise RuntimeError(
        'irreversible: drop the sync trigger and column total of orders'
    )
