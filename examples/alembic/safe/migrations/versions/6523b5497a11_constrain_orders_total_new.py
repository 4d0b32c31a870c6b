"""add the constraints on total_new NOT VALID (new rows are checked from now on)

sqlsafe plan change-type: step 4 of 8.
Locks: ACCESS EXCLUSIVE on orders for an instant (catalog change only: no rewrite, no
scan); lock_timeout makes it give up instead of queueing reads behind it
Runs in a transaction of its own: the empty autocommit block first commits what ran
before it, whether or not env.py sets transaction_per_migration.

Revision ID: 6523b5497a11
Revises: df54d3398228Create Date: 2026-12-02 15:17:32
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = '6523b5497a11'
down_revision = 'df54d3398228'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # commits what ran before, so this revision runs in a transaction of its own
    with op.get_context().autocommit_block():
        pass
    op.execute("SET LOCAL lock_timeout = '2s';")
    op.execute("SET LOCAL statement_timeout = '5s';")
    op.execute("""-- NOT VALID: rows written from now on are checked; existing rows are checked by VALIDATE in the
-- next migration, which does not block reads or writes.
ALTER TABLE orders
    ADD CONSTRAINT orders_total_new_not_null_chk CHECK (total_new IS NOT NULL) NOT VALID;""")


def downgrade() -> None:
    # commits what ran before, so this revision runs in a transaction of its own
    with op.get_context().autocommit_block():
        pass
    op.execute("SET LOCAL lock_timeout = '2s';")
    op.execute("SET LOCAL statement_timeout = '5s';")
    op.execute('ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_total_new_not_null_chk;')
