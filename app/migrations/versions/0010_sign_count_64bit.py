"""The passkey sign count as a 64-bit column (issue 13 point 6).

WebAuthn's signature counter is a 32-bit unsigned number (up to 2³²−1); PostgreSQL's INTEGER
stops at 2³¹−1, so an authenticator whose counter passed it could no longer sign in (500).
SQLite stores any integer and is unchanged in practice.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("passkey") as batch:
        batch.alter_column(
            "sign_count", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("passkey") as batch:
        batch.alter_column(
            "sign_count", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False
        )
