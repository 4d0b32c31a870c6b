"""refresh the planner statistics of orders

sqlsafe new-column: step 5 of 5.
Locks: SHARE UPDATE EXCLUSIVE on orders while rows are sampled: reads and writes go on
Runs in a transaction of its own: the empty autocommit block first commits what ran
before it, whether or not env.py sets transaction_per_migration.

Revision ID: a729fc63866e
Revises: 7ceb9f946f36
Create Date: 2026-12-02 14:51:50
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = 'a729fc63866e'
down_revision = '7ceb9f946f36'
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
