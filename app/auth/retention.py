"""Retention (issue 18 point 5, docs/design.md §12): an account nobody has used for
``TRYG_UNUSED_ACCOUNT_DAYS`` (default 365) is flagged to its caseworkers on their caseload —
never deleted silently. Deleting is the person's own choice ("Slet min konto"), or done with her.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.auth.models import AuthSession, User
from app.clock import now

DAYS_PER_MONTH = 30.44


def months(days: int) -> int:
    return max(1, round(days / DAYS_PER_MONTH))


def unused(session: Session, user_ids: Iterable[int], days: int) -> set[int]:
    """The accounts among ``user_ids`` with no sign-in used within ``days`` (or, never signed
    in, created before that)."""
    ids = set(user_ids)
    if not ids:
        return set()
    cutoff = now() - timedelta(days=days)
    last_used = dict(
        session.exec(
            select(AuthSession.user_id, func.max(AuthSession.last_seen_at))
            .where(col(AuthSession.user_id).in_(ids))
            .group_by(col(AuthSession.user_id))
        ).all()
    )
    created = dict(
        session.exec(select(User.id, User.created_at).where(col(User.id).in_(ids))).all()
    )
    return {
        i for i in ids if i in created and _naive(last_used.get(i) or created[i]) < _naive(cutoff)
    }


def _naive(moment: datetime) -> datetime:
    """SQLite hands times back without their zone (UTC); compare them as such."""
    return moment.replace(tzinfo=None)
