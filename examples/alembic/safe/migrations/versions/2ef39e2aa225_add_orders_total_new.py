"""add column total_new to orders (nullable for now)

sqlsafe plan change-type: step 1 of 8.
Locks: ACCESS EXCLUSIVE on orders for an instant (catalog change only: no rewrite, no
scan); lock_timeout makes it give up instead of queueing reads behind it
Runs in a transaction of its own: the empty autocommit block first commits what ran
before it, whether or not env.py sets transaction_per_migration.

Revision ID: 2ef39e2aa225
Revises: ca820058d97bCreate Date: 2026-12-02 15:17:32
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = '2ef39e2aa225'
down_revision = 'ca820058d97b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # commits what ran before, so this revision runs in a transaction of its own
    with op.get_context().autocommit_block():
        pass
    op.execute("SET LOCAL lock_timeout = '2s';")
    op.execute("SET LOCAL statement_timeout = '5s';")
    op.execute('ALTER TABLE orders ADD COLUMN IF NOT EXISTS total_new numeric(12, 2);')


def downgrade() -> None:
    # commits what ran before, so this revision runs in a transaction of its own
    with op.get_context().autocommit_block():
        pass
    op.execute("SET LOCAL lock_timeout = '2s';")
    op.execute("SET LOCAL statement_timeout = '5s';")
    op.execute('ALTER TABLE orders DROP COLUMN IF EXISTS total_new;')
