"""HAZARD: a NOT NULL column without a default fails on a table with rows, and the
column type change rewrites the whole table under ACCESS EXCLUSIVE"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("currency", sa.Text(), nullable=False))
    op.alter_column("orders", "total", type_=sa.Numeric(12, 2))


def downgrade() -> None:
    op.alter_column("orders", "total", type_=sa.Integer())
    op.drop_column("orders", "currency")
