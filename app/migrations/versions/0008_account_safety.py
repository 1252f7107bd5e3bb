"""Account safety (issue 12): how a session signed in, the meeting handshake for codes, pending
passkeys, notices per session, folded read audits.

- ``auth_session.method``: ``passkey`` or ``password``; ``verified_at`` is NULL until a passkey
  check (a password sign-in is never "fresh"); ``notices_seen_at``: notices up to this moment
  were dismissed on this device.
- ``enrolment_code``: ``purpose`` (enrol, device, recover, staff), ``redeemed_at`` and a keyed
  hash of the confirmation the new phone shows, ``confirmed_at`` once the issuer typed it,
  ``confirm_failures`` (a few wrong tries void the code), ``voided_at``.
- ``passkey.pending_code_id``: a passkey registered with a code is unusable until that code is
  confirmed by the person who issued it.
- ``audit_event.session_id`` (which session did it, so a device is not warned about itself) and
  ``count`` (reads folded into one row per person, plan and ten minutes).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("auth_session") as batch:
        batch.add_column(
            sa.Column("method", sa.String(20), nullable=False, server_default="passkey")
        )
        batch.alter_column("verified_at", existing_type=sa.DateTime(timezone=True), nullable=True)
        batch.add_column(sa.Column("notices_seen_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("enrolment_code") as batch:
        batch.add_column(
            sa.Column("purpose", sa.String(20), nullable=False, server_default="enrol")
        )
        batch.add_column(sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("confirmation_hash", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("confirm_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("passkey") as batch:
        batch.add_column(sa.Column("pending_code_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_passkey_pending_code",
            "enrolment_code",
            ["pending_code_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("count", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("count")
        batch.drop_column("session_id")
    with op.batch_alter_table("passkey") as batch:
        batch.drop_constraint("fk_passkey_pending_code", type_="foreignkey")
        batch.drop_column("pending_code_id")
    with op.batch_alter_table("enrolment_code") as batch:
        for name in (
            "voided_at",
            "confirm_failures",
            "confirmed_at",
            "confirmation_hash",
            "redeemed_at",
            "purpose",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("auth_session") as batch:
        batch.drop_column("notices_seen_at")
        batch.alter_column("verified_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.drop_column("method")
