"""HAZARD: a plain CREATE INDEX blocks every write to orders while it builds"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("orders_status_idx", "orders", ["status"])


def downgrade() -> None:
    op.drop_index("orders_status_idx", table_name="orders")
