"""Plans, sections, items (text encrypted at rest), grants and share codes.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
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
        "plan",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("victim_id", sa.Integer, sa.ForeignKey("user.id"), nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "section",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plan.id"), nullable=False, index=True),
        sa.Column("template_key", sa.String(40), nullable=True),
        sa.Column("title", sa.LargeBinary, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("review_by", sa.Date, nullable=True),
        *_changed(),
    )
    op.create_table(
        "item",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plan.id"), nullable=False, index=True),
        sa.Column(
            "section_id", sa.Integer, sa.ForeignKey("section.id"), nullable=False, index=True
        ),
        sa.Column("text", sa.LargeBinary, nullable=False),
        sa.Column("done", sa.Boolean, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        *_changed(),
        sa.Column("deleted_at", TS, nullable=True),
    )
    op.create_table(
        "grant",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plan.id"), nullable=False, index=True),
        sa.Column(
            "caseworker_id", sa.Integer, sa.ForeignKey("user.id"), nullable=False, index=True
        ),
        sa.Column("granted_by_id", sa.Integer, sa.ForeignKey("user.id"), nullable=True),
        sa.Column("granted_at", TS, nullable=False),
        sa.Column("revoked_by_id", sa.Integer, sa.ForeignKey("user.id"), nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
    )
    op.create_table(
        "share_code",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "caseworker_id", sa.Integer, sa.ForeignKey("user.id"), nullable=False, index=True
        ),
        sa.Column("code_hash", sa.LargeBinary, nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
    )
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("plan_id", sa.Integer, nullable=True))
        batch.create_index("ix_audit_event_plan_id", ["plan_id"])


def downgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_index("ix_audit_event_plan_id")
        batch.drop_column("plan_id")
    for table in ["share_code", "grant", "item", "section", "plan"]:
        op.drop_table(table)
