"""A victim can erase her account (issue 18 point 5): the user row stays as a tombstone that
holds no name, so audit rows keep their ids and a phone that comes back is told to wipe itself.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("erased_at", sa.DateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_column("erased_at")
