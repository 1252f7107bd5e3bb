"""Sections and items copied from a template were stamped "changed by" the caseworker who
created the plan, so every template item said »Ændret af Anna« although Anna wrote none of them
(issue 14). A copy nobody has changed has no changer: the plan says »Fra skabelonen«.

Rows are cleared only when they are still the first version and were written with the plan
itself (within a minute of it): anything someone changed or added later keeps its changer.

Revision ID: 0014
Revises: 0013
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    plans = bind.execute(sa.text("SELECT id, created_at FROM plan")).all()
    for table in ("section", "item"):
        rows = bind.execute(
            sa.text(f"SELECT id, plan_id, changed_at FROM {table} WHERE version = 1")  # noqa: S608
        ).all()
        created = {plan_id: at for plan_id, at in plans}
        clear = [
            row_id
            for row_id, plan_id, at in rows
            if plan_id in created and abs(as_time(at) - as_time(created[plan_id])) < MINUTE
        ]
        for row_id in clear:
            bind.execute(
                sa.text(f"UPDATE {table} SET changed_by_id = NULL WHERE id = :id"),  # noqa: S608
                {"id": row_id},
            )


MINUTE = timedelta(minutes=1)


def as_time(value: object) -> datetime:
    """SQLite hands back text, PostgreSQL a datetime."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime.fromisoformat(str(value)).replace(tzinfo=None)


def downgrade() -> None:
    """Nothing to undo: who changed a copy nobody changed is not known."""
