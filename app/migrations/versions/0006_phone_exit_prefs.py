"""A victim's own choices for the phone: end the session on quick exit, and a disguise.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(
            sa.Column("exit_signs_out", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("disguise", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_column("disguise")
        batch.drop_column("exit_signs_out")
