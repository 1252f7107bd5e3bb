"""A victim can turn off the Shift×3 shortcut for leaving quickly (the button and the skip link
stay): someone who types a lot, or whose screen reader uses Shift, may want it off (issue 15).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(
            sa.Column("exit_shift", sa.Boolean, nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_column("exit_shift")
