"""The meeting handshake, on the issuer's screen: type what the new phone shows.

A code redeemed on some phone gives that phone nothing until the person who issued the code
confirms, here, the six digits the phone shows (codes.py). A "lost phone" code and an admin's
code for a caseworker then remove every other way into the account: passkeys, password, user
name and sessions. Only the issuer can confirm, and only while they may still act for the person
(a caseworker with an active grant, an admin of the caseworker's organisation).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app import audit, db, state
from app.auth import codes, sessions, stepup
from app.auth.access import current_auth, require
from app.auth.models import EnrolmentCode, Passkey, Role, User
from app.i18n import N_, _
from app.plans.access import active_grant
from app.plans.queries import plan_of
from app.web import form_endpoint, render

REFUSALS = {
    "waiting": N_(
        "The phone has not used the code yet. Wait until it shows a number with six digits."
    ),
    "wrong": N_("The number does not match. Look at the phone again and type the six digits."),
    "too_many": N_("Too many wrong numbers. The code no longer works. Make a new code."),
    "expired": N_("The code has expired. Make a new code."),
    "voided": N_("The code no longer works. Make a new code."),
    "password_only": N_(
        "You signed in with a password. Confirm with your passkey first: someone who only knows "
        "your password must not be able to give a phone access."
    ),
}


def _may_act_for(session: Session, issuer: User, person: User) -> bool:
    if issuer.role == Role.org_admin:
        return person.role == Role.caseworker and person.organisation_id == issuer.organisation_id
    plan = plan_of(session, person.id) if person.role == Role.victim else None  # type: ignore[arg-type]
    return plan is not None and active_grant(session, plan.id, issuer.id) is not None  # type: ignore[arg-type]


def _issued_by_me(session: Session, issuer: User, code_id: int) -> tuple[EnrolmentCode, User]:
    """The code and its person, if ``issuer`` issued it and may still act for the person."""
    row = session.get(EnrolmentCode, code_id) if code_id < 2**63 else None
    person = session.get(User, row.user_id) if row else None
    if row is None or person is None or row.created_by_id != issuer.id:
        raise HTTPException(404)
    if not _may_act_for(session, issuer, person):
        raise HTTPException(404)
    return row, person


def back_for(person: User) -> str:
    return "/admin" if person.role == Role.caseworker else "/people"


def _context(row: EnrolmentCode, person: User, error: str | None = None) -> dict[str, Any]:
    errors = {"confirmation": error} if error else {}
    return {"row": row, "person": person, "back": back_for(person), "errors": errors}


def confirm_page(request: Request) -> Response:
    issuer = require(request, Role.caseworker, Role.org_admin)
    with db.read_session(state.engine(request)) as session:
        row, person = _issued_by_me(session, issuer, request.path_params["code_id"])
    return render(request, "auth/confirm.html", _context(row, person))


def reset_logins(session: Session, person: User, keep: Sequence[int | None]) -> str:
    """Remove every way into ``person``'s account but the passkeys in ``keep``."""
    removed = session.execute(
        delete(Passkey).where(col(Passkey.user_id) == person.id, col(Passkey.id).not_in(keep))
    ).rowcount  # type: ignore[attr-defined]
    had_password = person.password_hash is not None
    session.execute(
        update(User)
        .where(col(User.id) == person.id)
        .values(password_hash=None, username=None, username_hash=None)
    )
    ended = sessions.end_all(session, person.id)  # type: ignore[arg-type]
    return f"passkeys={removed} password={int(had_password)} sessions={ended}"


def confirm(request: Request, form: FormData) -> Response:
    """Only an issuer whose session passed a passkey check may confirm: a stolen staff password
    alone must not be able to issue a code and confirm its own phone."""
    issuer = require(request, Role.caseworker, Role.org_admin)
    typed = str(form.get("confirmation", ""))[:20]
    auth = current_auth(request)
    if auth is None or auth.verified_at is None:
        with db.read_session(state.engine(request)) as session:
            row, person = _issued_by_me(session, issuer, request.path_params["code_id"])
        context = _context(row, person, _(REFUSALS["password_only"]))
        context["verify"] = stepup.verify_url(f"/codes/{row.id}")
        return render(request, "auth/confirm.html", context, status_code=403)
    with db.write_session(state.engine(request)) as session:
        row, person = _issued_by_me(session, issuer, request.path_params["code_id"])
        waiting = list(session.exec(select(Passkey.id).where(Passkey.pending_code_id == row.id)))
        ip = audit.request_ip(request)

        def record(action: str, detail: str) -> None:
            audit.record(
                session, action, actor_id=issuer.id, subject_id=person.id, ip=ip, detail=detail
            )

        try:
            codes.confirm(session, state.settings(request).secret_key, row, typed)
        except codes.ConfirmError as exc:
            # Committed as it is: the failure count (and a voided code) must stick.
            record("code_confirm_refused", exc.reason)
            context = _context(row, person, _(REFUSALS[exc.reason]))
            return render(request, "auth/confirm.html", context, status_code=400)
        record("code_confirmed", f"{row.purpose} code={row.id}")
        if row.purpose in codes.RESETS:
            record("login_reset", reset_logins(session, person, waiting))
    return RedirectResponse(f"/codes/{row.id}", status_code=303)


routes = [
    Route("/codes/{code_id:id}", confirm_page),
    Route("/codes/{code_id:id}/confirm", form_endpoint(confirm), methods=["POST"]),
]
