"""mark total_new NOT NULL using the validated check, then drop the check

sqlsafe plan change-type: step 6 of 8.
Locks: ACCESS EXCLUSIVE on orders for an instant: the validated check spares the scan
Runs in a transaction of its own: the empty autocommit block first commits what ran
before it, whether or not env.py sets transaction_per_migration.

Revision ID: 948fca65cea5
Revises: aa20b2353613Create Date: 2026-12-02 15:17:32
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = '948fca65cea5'
down_revision = 'aa20b2353613'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # commits what ran before, so this revision runs in a transaction of its own
    with op.get_context().autocommit_block():
        pass
    op.execute("SET LOCAL lock_timeout = '2s';")
    op.execute("SET LOCAL statement_timeout = '5s';")
    op.execute("""-- The validated check proves the column holds no NULL: SET NOT NULL skips the table scan.
ALTER TABLE orders ALTER COLUMN total_new SET NOT NULL;""")
    op.execute('ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_total_new_not_null_chk;')


def downgrade() -> None:
    # commits what ran before, so this revision runs in a transaction of its own
    with op.get_context().autocommit_block():
        pass
    op.execute("SET LOCAL lock_timeout = '2s';")
    op.execute("SET LOCAL statement_timeout = '5s';")
    op.execute('ALTER TABLE orders ALTER COLUMN total_new DROP NOT NULL;')
