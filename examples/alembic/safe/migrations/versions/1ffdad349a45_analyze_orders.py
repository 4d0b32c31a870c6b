"""refresh the planner statistics of orders

sqlsafe plan change-type: step 7 of 8.
Locks: SHARE UPDATE EXCLUSIVE on orders while rows are sampled: reads and writes go on
Runs in a transaction of its own: the empty autocommit block first commits what ran
before it, whether or not env.py sets transaction_per_migration.

Revision ID: 1ffdad349a45
Revises: 948fca65cea5Create Date: 2026-12-02 15:17:32
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = '1ffdad349a45'
down_revision = '948fca65cea5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # commits what ran before, so this revision runs in a transaction of its own
    with op.get_context().autocommit_block():
        pass
    op.execute("SET LOCAL lock_timeout = '2s';")
    op.execute('ANALYZE orders;')


def downgrade() -> None:
    pass  # nothing to undo
