"""Drafts (issue 14 point 6): text typed into a plan or contact form when the session had just
ended, kept sealed (``draft.fields`` is an AES-GCM blob under the data key) for the same user
until she uses or discards it after signing in again.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "draft",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=False),
        sa.Column("path", sa.String(200), nullable=False),
        sa.Column("fields", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_draft_user_id", "draft", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_draft_user_id", "draft")
    op.drop_table("draft")
