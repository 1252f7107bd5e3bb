"""Emergency contacts (text encrypted at rest) and organisation hotlines.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _changed() -> list[sa.Column]:
    return [
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("changed_by_id", sa.Integer, sa.ForeignKey("user.id"), nullable=True),
        sa.Column("changed_at", TS, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "contact",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plan.id"), nullable=False, index=True),
        sa.Column("name", sa.LargeBinary, nullable=False),
        sa.Column("relation", sa.LargeBinary, nullable=False),
        sa.Column("phone", sa.LargeBinary, nullable=False),
        sa.Column("knows", sa.LargeBinary, nullable=False),
        sa.Column("code_word", sa.LargeBinary, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("alarm", sa.Boolean, nullable=False),
        *_changed(),
        sa.Column("deleted_at", TS, nullable=True),
    )
    op.create_table(
        "hotline",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "organisation_id",
            sa.Integer,
            sa.ForeignKey("organisation.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        *_changed(),
    )


def downgrade() -> None:
    op.drop_table("hotline")
    op.drop_table("contact")
