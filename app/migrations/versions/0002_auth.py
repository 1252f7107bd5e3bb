"""Passkeys, sessions, enrolment codes, WebAuthn challenges and the audit trail.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("username", sa.String(60), nullable=True))
        batch.add_column(sa.Column("enrolled_by_id", sa.Integer, nullable=True))
        batch.create_unique_constraint("uq_user_username", ["username"])
        batch.create_foreign_key("fk_user_enrolled_by", "user", ["enrolled_by_id"], ["id"])
    op.create_table(
        "passkey",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("user.id"), nullable=False, index=True),
        sa.Column("credential_id", sa.LargeBinary, nullable=False, unique=True),
        sa.Column("public_key", sa.LargeBinary, nullable=False),
        sa.Column("sign_count", sa.Integer, nullable=False),
        sa.Column("transports", sa.String(200), nullable=False),
        sa.Column("backup_eligible", sa.Boolean, nullable=False),
        sa.Column("backed_up", sa.Boolean, nullable=False),
        sa.Column("nickname", sa.String(60), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_used_at", TS, nullable=True),
    )
    op.create_table(
        "auth_session",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.LargeBinary, nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("user.id"), nullable=False, index=True),
        sa.Column("device", sa.String(80), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("verified_at", TS, nullable=False),
        sa.Column("ended_at", TS, nullable=True),
    )
    op.create_table(
        "enrolment_code",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code_hash", sa.LargeBinary, nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("user.id"), nullable=False, index=True),
        sa.Column("created_by_id", sa.Integer, sa.ForeignKey("user.id"), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
        sa.Column("revoke_old", sa.Boolean, nullable=False),
    )
    op.create_table(
        "challenge",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("handle", sa.String(64), nullable=False, unique=True),
        sa.Column("challenge", sa.LargeBinary, nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("user.id"), nullable=True),
        sa.Column(
            "enrolment_code_id", sa.Integer, sa.ForeignKey("enrolment_code.id"), nullable=True
        ),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", TS, nullable=False, index=True),
        sa.Column("action", sa.String(40), nullable=False, index=True),
        sa.Column("actor_id", sa.Integer, sa.ForeignKey("user.id"), nullable=True, index=True),
        sa.Column("subject_id", sa.Integer, sa.ForeignKey("user.id"), nullable=True, index=True),
        sa.Column("ip_hash", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(80), nullable=False),
    )


def downgrade() -> None:
    for table in ["audit_event", "challenge", "enrolment_code", "auth_session", "passkey"]:
        op.drop_table(table)
    with op.batch_alter_table("user") as batch:
        batch.drop_constraint("fk_user_enrolled_by", type_="foreignkey")
        batch.drop_constraint("uq_user_username", type_="unique")
        batch.drop_column("enrolled_by_id")
        batch.drop_column("username")
