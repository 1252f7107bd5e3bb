"""Agreed actions across agencies (issue 17): who helps in a case and in which role, the
actions, the comments on them, the meetings and the legal steps, every text encrypted at rest.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _user(name: str, nullable: bool = True, index: bool = False) -> sa.Column:
    return sa.Column(name, sa.Integer, sa.ForeignKey("user.id"), nullable=nullable, index=index)


def _plan() -> sa.Column:
    return sa.Column("plan_id", sa.Integer, sa.ForeignKey("plan.id"), nullable=False, index=True)


def _sealed(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.LargeBinary, nullable=False) for name in names]


def _versioned() -> list[sa.Column]:
    return [
        sa.Column("version", sa.Integer, nullable=False),
        _user("changed_by_id"),
        sa.Column("changed_at", TS, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "case_helper",
        sa.Column("id", sa.Integer, primary_key=True),
        _plan(),
        _user("caseworker_id", nullable=False, index=True),
        sa.Column("role", sa.String(12), nullable=False),
        *_sealed("reach"),
        *_versioned(),
        sa.UniqueConstraint("plan_id", "caseworker_id"),
    )
    op.create_table(
        "case_meeting",
        sa.Column("id", sa.Integer, primary_key=True),
        _plan(),
        sa.Column("at", TS, nullable=False, index=True),
        sa.Column("by_phone", sa.Boolean, nullable=False),
        *_sealed("place", "attendees"),
        *_versioned(),
    )
    op.create_table(
        "case_action",
        sa.Column("id", sa.Integer, primary_key=True),
        _plan(),
        *_sealed("what"),
        sa.Column("who", sa.String(12), nullable=False),
        _user("who_id"),
        sa.Column("due", sa.Date, nullable=True, index=True),
        sa.Column("status", sa.String(8), nullable=False),
        *_sealed("note"),
        sa.Column("meeting_id", sa.Integer, sa.ForeignKey("case_meeting.id"), nullable=True),
        *_versioned(),
        _user("created_by_id"),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "case_action_comment",
        sa.Column("id", sa.Integer, primary_key=True),
        _plan(),
        sa.Column(
            "action_id", sa.Integer, sa.ForeignKey("case_action.id"), nullable=False, index=True
        ),
        *_sealed("text"),
        _user("by_id"),
        sa.Column("at", TS, nullable=False),
    )
    op.create_table(
        "case_legal_step",
        sa.Column("id", sa.Integer, primary_key=True),
        _plan(),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("started", sa.Date, nullable=True),
        sa.Column("ends", sa.Date, nullable=True),
        *_sealed("reference"),
        *_versioned(),
    )


def downgrade() -> None:
    op.drop_table("case_legal_step")
    op.drop_table("case_action_comment")
    op.drop_table("case_action")
    op.drop_table("case_meeting")
    op.drop_table("case_helper")
