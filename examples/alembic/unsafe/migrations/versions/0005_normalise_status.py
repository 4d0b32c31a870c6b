"""HAZARD: raw SQL that rewrites the table (SET DATA TYPE) and one UPDATE of every row
in the same transaction"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE orders ALTER COLUMN customer_id SET DATA TYPE numeric")
    op.execute("UPDATE orders SET status = lower(status)")


def downgrade() -> None:
    op.execute("ALTER TABLE orders ALTER COLUMN customer_id SET DATA TYPE bigint")
