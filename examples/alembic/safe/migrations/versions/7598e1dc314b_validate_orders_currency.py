"""validate the constraints on currency against the existing rows

sqlsafe new-column: step 3 of 5.
Locks: SHARE UPDATE EXCLUSIVE on orders while every row is checked: reads and writes go
on
Runs in a transaction of its own: the empty autocommit block first commits what ran
before it, whether or not env.py sets transaction_per_migration.

Revision ID: 7598e1dc314b
Revises: dd2a93e1bf37Create Date: 2026-12-02 15:17:30
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = '7598e1dc314b'
down_revision = 'dd2a93e1bf37'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # commits what ran before, so this revision runs in a transaction of its own
    with op.get_context().autocommit_block():
        pass
    op.execute("SET LOCAL lock_timeout = '2s';")
    op.execute('ALTER TABLE orders VALIDATE CONSTRAINT orders_currency_not_null_chk;')


def downgrade() -> None:
    pass  # nothing to undo
