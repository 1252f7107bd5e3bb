"""The one access check every plan route uses.

A plan is visible to its victim and to caseworkers holding an active grant — nobody else. Org
admins never see plans. Everyone else gets 404, not 403: a plan's existence is nothing to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select
from starlette.exceptions import HTTPException
from starlette.requests import Request

from app import audit, db, state
from app.audit import AuditEvent
from app.auth.identity import by_name
from app.auth.models import Role, User
from app.clock import now
from app.plans.models import Grant, Plan

# Reads by one person of one plan within this long fold into one row with a count.
READ_FOLD = timedelta(minutes=10)


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


def read_access(request: Request, session: Session, user: User, how: str = "") -> PlanAccess:
    """The access check of every route that shows plan or contact content (the plan in the
    path): anyone but the victim is recorded as a read before anything is rendered."""
    access = plan_access(session, user, int(request.path_params["plan_id"]))
    audit_read(request, access, how, action="plan_read")
    return access


def audit_read(
    request: Request,
    access: PlanAccess,
    how: str = "",
    session: Session | None = None,
    action: str = "plan_read",
) -> None:
    """A read by anyone but the victim, folded (:func:`fold_read`). In ``session`` when the
    request writes anyway (a conflict or a refused form still shows the plan); otherwise in its
    own short write. The victim's own reads write nothing."""
    if access.is_victim:
        return
    if session is not None:
        fold_read(request, session, access, how, action)
        return
    with db.write_session(state.engine(request)) as own:
        fold_read(request, own, access, how, action)


def fold_read(
    request: Request, session: Session, access: PlanAccess, how: str, action: str = "plan_read"
) -> None:
    """One ``plan_read`` (or ``diary_read``) row per person and plan per :data:`READ_FOLD`,
    with a count: a conditional UPDATE of the newest such row still in the window, else a new
    row."""
    newest = (
        select(AuditEvent.id)
        .where(
            AuditEvent.action == action,
            AuditEvent.actor_id == access.user.id,
            AuditEvent.plan_id == access.plan.id,
            col(AuditEvent.at) >= now() - READ_FOLD,
        )
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(1)
        .scalar_subquery()
    )
    folded = session.execute(
        update(AuditEvent)
        .where(col(AuditEvent.id) == newest)
        .values(count=col(AuditEvent.count) + 1)
    )
    if folded.rowcount != 1:  # type: ignore[attr-defined]
        _record(request, session, access, action, how)


def audit_change(request: Request, session: Session, access: PlanAccess, what: str) -> None:
    """Writes by anyone but the victim are audited and shown to the victim. Ids only."""
    if not access.is_victim:
        _record(request, session, access, "plan_changed", what)


def _record(
    request: Request, session: Session, access: PlanAccess, action: str, detail: str
) -> None:
    audit.record(
        session,
        action,
        actor_id=access.user.id,
        subject_id=access.victim.id,
        plan_id=access.plan.id,
        ip=audit.request_ip(request),
        detail=detail,
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
