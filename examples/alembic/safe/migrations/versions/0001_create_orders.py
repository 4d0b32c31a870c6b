"""create orders (the busy table the next revisions change)"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), primary_key=True),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("legacy_code", sa.Text()),
    )


def downgrade() -> None:
    # a rollback waits for ACCESS EXCLUSIVE on a table the application now uses: give up
    # after 2s rather than queue every query on it behind the DROP
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.drop_table("orders")
