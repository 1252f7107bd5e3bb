"""Who has a plan open right now (live co-editing presence), one row per open stream.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "live_presence",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("stream", sa.String(32), nullable=False, unique=True),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plan.id"), nullable=False, index=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("user.id"), nullable=False),
        sa.Column("item_id", sa.Integer, nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("live_presence")
