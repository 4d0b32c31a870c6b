"""refresh the planner statistics of orders

sqlsafe new-column: step 5 of 5.
Locks: SHARE UPDATE EXCLUSIVE on orders while rows are sampled: reads and writes go on
Runs in a transaction of its own: the empty autocommit block first commits what ran
before it, whether or not env.py sets transaction_per_migration.

Revision ID: ca820058d97b
Revises: e11010b3806fCreate Date: 2026-12-02 15:17:30
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = 'ca820058d97b'
down_revision = 'e11010b3806f'
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
