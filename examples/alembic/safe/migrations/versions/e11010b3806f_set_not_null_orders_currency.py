"""mark currency NOT NULL using the validated check, then drop the check

sqlsafe new-column: step 4 of 5.
Locks: ACCESS EXCLUSIVE on orders for an instant: the validated check spares the scan
Runs in a transaction of its own: the empty autocommit block first commits what ran
before it, whether or not env.py sets transaction_per_migration.

Revision ID: e11010b3806f
Revises: 7598e1dc314bCreate Date: 2026-12-02 15:17:30
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = 'e11010b3806f'
down_revision = '7598e1dc314b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # commits what ran before, so this revision runs in a transaction of its own
    with op.get_context().autocommit_block():
        pass
    op.execute("SET LOCAL lock_timeout = '2s';")
    op.execute("SET LOCAL statement_timeout = '5s';")
    op.execute("""-- The validated check proves the column holds no NULL: SET NOT NULL skips the table scan.
ALTER TABLE orders ALTER COLUMN currency SET NOT NULL;""")
    op.execute('ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_currency_not_null_chk;')


def downgrade() -> None:
    # commits what ran before, so this revision runs in a transaction of its own
    with op.get_context().autocommit_block():
        pass
    op.execute("SET LOCAL lock_timeout = '2s';")
    op.execute("SET LOCAL statement_timeout = '5s';")
    op.execute('ALTER TABLE orders ALTER COLUMN currency DROP NOT NULL;')
