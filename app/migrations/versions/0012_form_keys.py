"""Used add-form keys, per user, so a double tap adds once across app processes (issue 14
point 3). Rows older than a day are deleted as new keys arrive.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_key",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("user.id"), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("made", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("form_key")
