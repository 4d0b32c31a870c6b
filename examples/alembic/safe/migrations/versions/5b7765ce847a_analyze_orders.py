"""refresh the planner statistics of orders

sqlsafe backfill: step 2 of 2.
Locks: SHARE UPDATE EXCLUSIVE on orders while rows are sampled: reads and writes go on
Runs in a transaction of its own: the empty autocommit block first commits what ran
before it, whether or not env.py sets transaction_per_migration.

Revision ID: 5b7765ce847a
Revises: 016e9f80dd55Create Date: 2026-12-02 15:17:36
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = '5b7765ce847a'
down_revision = '016e9f80dd55'
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
