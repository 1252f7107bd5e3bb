"""The stalking log: entries, their earlier versions and the evidence (bilag), every text and
file encrypted at rest (issue 16).

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _user(name: str, nullable: bool = True, index: bool = False) -> sa.Column:
    return sa.Column(name, sa.Integer, sa.ForeignKey("user.id"), nullable=nullable, index=index)


def _sealed(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.LargeBinary, nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        "diary_entry",
        sa.Column("id", sa.Integer, primary_key=True),
        _user("victim_id", nullable=False, index=True),
        sa.Column("happened_at", TS, nullable=False, index=True),
        *_sealed("what", "place", "effect", "witnesses", "journal", "officer"),
        sa.Column("key_example", sa.Boolean, nullable=False),
        sa.Column("leave_out", sa.Boolean, nullable=False),
        sa.Column("shared", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        _user("created_by_id"),
        sa.Column("changed_at", TS, nullable=False),
        _user("changed_by_id"),
        sa.Column("deleted_at", TS, nullable=True),
    )
    op.create_table(
        "diary_share",
        sa.Column("victim_id", sa.Integer, sa.ForeignKey("user.id"), primary_key=True),
        sa.Column("mode", sa.String(6), nullable=False),
        sa.Column("changed_at", TS, nullable=False),
    )
    op.create_table(
        "diary_version",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "entry_id", sa.Integer, sa.ForeignKey("diary_entry.id"), nullable=False, index=True
        ),
        sa.Column("version", sa.Integer, nullable=False),
        *_sealed("data"),
        sa.Column("replaced_at", TS, nullable=False),
        _user("replaced_by_id"),
    )
    op.create_table(
        "diary_evidence",
        sa.Column("id", sa.Integer, primary_key=True),
        _user("victim_id", nullable=False, index=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column(
            "entry_id", sa.Integer, sa.ForeignKey("diary_entry.id"), nullable=True, index=True
        ),
        *_sealed("description", "original"),
        sa.Column("kind", sa.String(4), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("has_position", sa.Boolean, nullable=False),
        sa.Column("uploaded_at", TS, nullable=False),
        _user("uploaded_by_id"),
        sa.UniqueConstraint("victim_id", "number"),
    )
    op.create_table(
        "diary_evidence_chunk",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "evidence_id",
            sa.Integer,
            sa.ForeignKey("diary_evidence.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("seq", sa.Integer, nullable=False),
        *_sealed("data"),
    )


def downgrade() -> None:
    op.drop_table("diary_evidence_chunk")
    op.drop_table("diary_evidence")
    op.drop_table("diary_version")
    op.drop_table("diary_share")
    op.drop_table("diary_entry")
