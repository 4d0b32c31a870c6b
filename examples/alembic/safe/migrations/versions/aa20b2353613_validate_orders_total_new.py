"""validate the constraints on total_new against the existing rows

sqlsafe plan change-type: step 5 of 8.
Locks: SHARE UPDATE EXCLUSIVE on orders while every row is checked: reads and writes go
on
Runs in a transaction of its own: the empty autocommit block first commits what ran
before it, whether or not env.py sets transaction_per_migration.

Revision ID: aa20b2353613
Revises: 6523b5497a11Create Date: 2026-12-02 15:17:32
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = 'aa20b2353613'
down_revision = '6523b5497a11'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # commits what ran before, so this revision runs in a transaction of its own
    with op.get_context().autocommit_block():
        pass
    op.execute("SET LOCAL lock_timeout = '2s';")
    op.execute('ALTER TABLE orders VALIDATE CONSTRAINT orders_total_new_not_null_chk;')


def downgrade() -> None:
    pass  # nothing to undo
