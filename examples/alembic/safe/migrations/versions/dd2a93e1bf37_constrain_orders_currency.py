"""add the constraints on currency NOT VALID (new rows are checked from now on)

sqlsafe new-column: step 2 of 5.
Locks: ACCESS EXCLUSIVE on orders for an instant (catalog change only: no rewrite, no
scan); lock_timeout makes it give up instead of queueing reads behind it
Runs in a transaction of its own: the empty autocommit block first commits what ran
before it, whether or not env.py sets transaction_per_migration.

Revision ID: dd2a93e1bf37
Revises: 1f0e0471aca7Create Date: 2026-12-02 15:17:30
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = 'dd2a93e1bf37'
down_revision = '1f0e0471aca7'
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
    ADD CONSTRAINT orders_currency_not_null_chk CHECK (currency IS NOT NULL) NOT VALID;""")


def downgrade() -> None:
    # commits what ran before, so this revision runs in a transaction of its own
    with op.get_context().autocommit_block():
        pass
    op.execute("SET LOCAL lock_timeout = '2s';")
    op.execute("SET LOCAL statement_timeout = '5s';")
    op.execute('ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_currency_not_null_chk;')
