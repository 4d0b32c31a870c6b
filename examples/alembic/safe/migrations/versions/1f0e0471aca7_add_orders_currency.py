"""add column currency to orders (nullable for now) with its default for new rows

sqlsafe new-column: step 1 of 5.
Locks: ACCESS EXCLUSIVE on orders for an instant (catalog change only: no rewrite, no
scan); lock_timeout makes it give up instead of queueing reads behind it
Runs in a transaction of its own: the empty autocommit block first commits what ran
before it, whether or not env.py sets transaction_per_migration.

Revision ID: 1f0e0471aca7
Revises: c0cf402c0447Create Date: 2026-12-02 15:17:30
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = '1f0e0471aca7'
down_revision = 'c0cf402c0447'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # commits what ran before, so this revision runs in a transaction of its own
    with op.get_context().autocommit_block():
        pass
    op.execute("SET LOCAL lock_timeout = '2s';")
    op.execute("SET LOCAL statement_timeout = '5s';")
    op.execute("ALTER TABLE orders ADD COLUMN IF NOT EXISTS currency text DEFAULT 'EUR';")


def downgrade() -> None:
    # commits what ran before, so this revision runs in a transaction of its own
    with op.get_context().autocommit_block():
        pass
    op.execute("SET LOCAL lock_timeout = '2s';")
    op.execute("SET LOCAL statement_timeout = '5s';")
    op.execute('ALTER TABLE orders DROP COLUMN IF EXISTS currency;')
