"""The victim decides who sees the plan: grant by a caseworker's short code, revoke any time.

"Who has seen my plan" lists every read and change by someone else, newest first.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app import audit, db, ratelimit, state
from app.audit import AuditEvent
from app.auth import codes, notices, stepup
from app.auth.access import require
from app.auth.models import Organisation, Role, User
from app.clock import now
from app.i18n import N_, _
from app.live import shared
from app.live.broker import Event, announce
from app.plans import queries
from app.plans.models import Grant, Plan
from app.sharing.models import ShareCode
from app.web import form_endpoint, render, wait_message

SHARE_CODE_VALID = timedelta(minutes=15)
ACTIVITY_LIMIT = 200
CODE_WRONG = N_("That code is wrong or expired. Ask the caseworker to show a new one.")


def _own_plan(session: Session, user: User) -> Plan:
    plan = queries.plan_of(session, user.id)  # type: ignore[arg-type]
    if plan is None:
        raise HTTPException(404)
    return plan


def _sharing_context(session: Session, plan: Plan) -> dict[str, Any]:
    rows = session.exec(
        select(Grant, User, Organisation)
        .join(User, col(User.id) == col(Grant.caseworker_id))
        .join(Organisation, col(Organisation.id) == col(User.organisation_id), isouter=True)
        .where(Grant.plan_id == plan.id, col(Grant.revoked_at).is_(None))
        .order_by(col(Grant.granted_at))
    ).all()
    return {
        "plan": plan,
        "grants": rows,
        "errors": {},
        "code": "",
        "fresh_needed": None,
        "done": None,
    }


def _fresh_needed(request: Request, user: User, code: str = "") -> Response:
    """The sharing page again, with the typed code, saying that a passkey check comes first."""
    with db.read_session(state.engine(request)) as session:
        context = _sharing_context(session, _own_plan(session, user))
    context["code"] = code
    context["fresh_needed"] = stepup.needed("/plan/sharing", "grant" if code else "")
    return render(request, "sharing/sharing.html", context, status_code=403)


# After a grant or a revoke the page says what happened, and the focus starts there.
DONE = {"granted": N_("Access given."), "revoked": N_("The access was taken back.")}


def sharing_page(request: Request) -> Response:
    user = require(request, Role.victim)
    with db.read_session(state.engine(request)) as session:
        context = _sharing_context(session, _own_plan(session, user))
    done = DONE.get(request.query_params.get("done", ""))
    context["done"] = _(done) if done else None
    return render(request, "sharing/sharing.html", context)


def grant(request: Request, form: FormData) -> Response:
    """The victim types the code the caseworker shows in the meeting."""
    user = require(request, Role.victim)
    limiter: ratelimit.Limiter = state.limiter(request)
    ip = request.client.host if request.client else ""
    secret = state.settings(request).secret_key
    if not stepup.is_fresh(request):  # who sees the plan: a fresh passkey check first
        return _fresh_needed(request, user, str(form.get("code", ""))[:20])
    with db.write_session(state.engine(request)) as session:
        plan = _own_plan(session, user)
        if not limiter.hit(ratelimit.CODE_PER_IP, "share-ip", ip):
            minutes = limiter.minutes_left(ratelimit.CODE_PER_IP, "share-ip", ip)
            context = _sharing_context(session, plan)
            context["errors"] = {"code": wait_message(minutes)}
            return render(request, "sharing/sharing.html", context, status_code=429)
        row = session.exec(
            select(ShareCode).where(
                ShareCode.code_hash == codes.code_hash(secret, str(form.get("code", "")))
            )
        ).first()
        caseworker = session.get(User, row.caseworker_id) if row else None
        if (
            row is None
            or row.used_at is not None
            or row.expires_at <= now()
            or caseworker is None
            or caseworker.disabled
        ):
            context = _sharing_context(session, plan)
            context["errors"] = {"code": _(CODE_WRONG)}
            return render(request, "sharing/sharing.html", context, status_code=422)
        row.used_at = now()
        session.add(row)
        if (
            session.exec(
                select(Grant).where(
                    Grant.plan_id == plan.id,
                    Grant.caseworker_id == caseworker.id,
                    col(Grant.revoked_at).is_(None),
                )
            ).first()
            is None
        ):
            session.add(
                Grant(
                    plan_id=plan.id,  # type: ignore[arg-type]
                    caseworker_id=caseworker.id,  # type: ignore[arg-type]
                    granted_by_id=user.id,
                )
            )
            audit.record(
                session,
                "grant_added",
                actor_id=caseworker.id,
                subject_id=user.id,
                plan_id=plan.id,
                ip=audit.request_ip(request),
            )
    return RedirectResponse("/plan/sharing?done=granted", status_code=303)


def revoke(request: Request) -> Response:
    """Takes effect on the caseworker's very next request, and ends their live stream."""
    user = require(request, Role.victim)
    if not stepup.is_fresh(request):
        return _fresh_needed(request, user)
    with db.write_session(state.engine(request)) as session:
        plan = _own_plan(session, user)
        row = session.get(Grant, int(request.path_params["grant_id"]))
        if row is None or row.plan_id != plan.id or row.revoked_at is not None:
            raise HTTPException(404)
        row.revoked_at, row.revoked_by_id = now(), user.id
        session.add(row)
        audit.record(
            session,
            "grant_revoked",
            actor_id=row.caseworker_id,
            subject_id=user.id,
            plan_id=plan.id,
            ip=audit.request_ip(request),
        )
        # Open streams re-check their access: the caseworker's closes within a second.
        announce(shared.broker(request), session, Event(plan=plan.id, kind="access"))
    return RedirectResponse("/plan/sharing?done=revoked", status_code=303)


def share_code(request: Request) -> Response:
    """A caseworker shows this code to the victim, who types it to grant access."""
    caseworker = require(request, Role.caseworker)
    code = codes.new_code()
    with db.write_session(state.engine(request)) as session:
        session.add(
            ShareCode(
                caseworker_id=caseworker.id,  # type: ignore[arg-type]
                code_hash=codes.code_hash(state.settings(request).secret_key, code),
                expires_at=now() + SHARE_CODE_VALID,
            )
        )
    return render(
        request, "sharing/code.html", {"code": code, "minutes": SHARE_CODE_VALID.seconds // 60}
    )


def activity(request: Request) -> Response:
    """Every read and change by anyone but the victim, and everything that touched how she
    signs in (codes, passkeys, password, password sign-ins, resets, her own too), newest first."""
    user = require(request, Role.victim)
    with db.read_session(state.engine(request)) as session:
        plan = _own_plan(session, user)
        events = list(
            session.exec(
                select(AuditEvent)
                .where(
                    or_(
                        and_(
                            col(AuditEvent.plan_id) == plan.id, col(AuditEvent.actor_id) != user.id
                        ),
                        and_(col(AuditEvent.subject_id) == user.id, notices.notice_worthy()),
                    )
                )
                .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
                .limit(ACTIVITY_LIMIT)
            ).all()
        )
        texts = notices.describe_all(session, events, user.id)  # type: ignore[arg-type]
    return render(request, "sharing/activity.html", {"rows": list(zip(events, texts, strict=True))})


routes = [
    Route("/plan/sharing", sharing_page, name="sharing"),
    Route("/plan/sharing", form_endpoint(grant), methods=["POST"]),
    Route("/plan/sharing/{grant_id:id}/revoke", revoke, methods=["POST"]),
    Route("/plan/activity", activity, name="activity"),
    Route("/sharing/code", share_code, methods=["POST"]),
]
