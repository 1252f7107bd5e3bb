"""The one access check every plan route uses.

A plan is visible to its victim and to caseworkers holding an active grant — nobody else. Org
admins never see plans. Everyone else gets 404, not 403: a plan's existence is nothing to show.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select
from starlette.exceptions import HTTPException
from starlette.requests import Request

from app import audit, db
from app.auth.identity import by_name
from app.auth.models import Role, User
from app.plans.models import Plan
from app.sharing.models import Grant


@dataclass(frozen=True)
class PlanAccess:
    plan: Plan
    user: User
    victim: User

    @property
    def is_victim(self) -> bool:
        return self.user.id == self.plan.victim_id


def active_grant(session: Session, plan_id: int, caseworker_id: int) -> Grant | None:
    return session.exec(
        select(Grant).where(
            Grant.plan_id == plan_id,
            Grant.caseworker_id == caseworker_id,
            col(Grant.revoked_at).is_(None),
        )
    ).first()


def plan_access(session: Session, user: User, plan_id: int) -> PlanAccess:
    plan = session.get(Plan, plan_id)
    if plan is None or user.disabled:
        raise HTTPException(404)
    is_victim = user.id == plan.victim_id
    if not is_victim and (
        user.role != Role.caseworker or active_grant(session, plan_id, user.id) is None  # type: ignore[arg-type]
    ):
        raise HTTPException(404)
    victim = user if is_victim else session.get(User, plan.victim_id)
    assert victim is not None
    return PlanAccess(plan=plan, user=user, victim=victim)


def audit_read(request: Request, access: PlanAccess, how: str = "") -> None:
    """Every read by someone else is audited for the victim (per page view, not per fragment),
    in its own short write; the victim's own reads take no write lock at all."""
    if access.is_victim:
        return
    with db.write_session(request.app.state.engine) as session:
        audit.record(
            session,
            "plan_read",
            actor_id=access.user.id,
            subject_id=access.victim.id,
            plan_id=access.plan.id,
            ip=audit.request_ip(request),
            detail=how,
        )


def audit_change(request: Request, session: Session, access: PlanAccess, what: str) -> None:
    """Writes by anyone but the victim are audited and shown to the victim. Ids only."""
    if not access.is_victim:
        audit.record(
            session,
            "plan_changed",
            actor_id=access.user.id,
            subject_id=access.victim.id,
            plan_id=access.plan.id,
            ip=audit.request_ip(request),
            detail=what,
        )


def granted_victims(session: Session, caseworker_id: int) -> list[tuple[Plan, User]]:
    """The caseload: plans granted to this caseworker (no plan content)."""
    rows = session.exec(
        select(Plan, User)
        .join(Grant, col(Grant.plan_id) == col(Plan.id))
        .join(User, col(User.id) == col(Plan.victim_id))
        .where(Grant.caseworker_id == caseworker_id, col(Grant.revoked_at).is_(None))
    ).all()
    return by_name(rows, lambda row: row[1])  # names are sealed: sorted here, not in SQL
