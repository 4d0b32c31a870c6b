"""HAZARD: dropping a column the running code still reads breaks it at once"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column("orders", "legacy_code")


def downgrade() -> None:
    op.add_column("orders", sa.Column("legacy_code", sa.Text()))
