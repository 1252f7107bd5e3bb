"""Sign-in, enrolment, the account page, passkeys, the password fallback and sessions.

Passkey ceremonies talk JSON with static/js/passkeys.js; everything else is plain forms. There is
no reset by e-mail or SMS anywhere: a lost login is restored in a meeting with an enrolment code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from webauthn.helpers import base64url_to_bytes

from app import audit, db, inputs, ratelimit, state
from app.audit import AuditEvent
from app.auth import codes, drafts, identity, passwords, sessions, stepup
from app.auth.access import after_enrolment, current_auth, current_user, home_for, require
from app.auth.models import AuthSession, EnrolmentCode, Passkey, User
from app.auth.notices import aware
from app.auth.passkeys import (
    GENERIC,
    PasskeyError,
    take_challenge,
    verify_authentication,
    verify_registration,
)
from app.auth.passkeys import authentication_options as _auth_options
from app.auth.passkeys import registration_options as _reg_options
from app.auth.signedout import ended, why
from app.clock import now
from app.i18n import N_, _
from app.settings import Settings
from app.web import (
    error_response,
    form_endpoint,
    is_htmx,
    render,
    render_text,
    too_many,
    wait_message,
)

CLEAR_SITE_DATA = '"cache", "cookies", "storage"'
Ceremony = Callable[[Session, dict[str, Any]], Response]
CODE_REFUSED = N_(
    "The code is wrong, has already been used, or has expired. Ask your adviser for a new one."
)


# ---------------------------------------------------------------- helpers


def _settings(request: Request) -> Settings:
    return state.settings(request)


def _limiter(request: Request) -> ratelimit.Limiter:
    return state.limiter(request)


def _ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json(request: Request) -> dict[str, Any] | JSONResponse:
    """The JSON body of a passkey step (size and depth bounded before parsing), or the
    Danish JSON error that refuses it."""
    try:
        return inputs.parse_json(await request.body())
    except inputs.BadJSON as exc:
        return _error(_(exc.message))


def _too_many(request: Request, item: ratelimit.RateLimitItem, *keys: str) -> Response:
    minutes = _limiter(request).minutes_left(item, *keys)
    if request.headers.get("content-type", "").startswith("application/json"):
        return _error(wait_message(minutes), 429)
    return too_many(request, minutes)


def _signed_in(
    request: Request, session: Session, user: User, response: Response, how: str
) -> Response:
    previous = current_auth(request)
    if previous is not None:  # a new id at every sign-in; the old one ends
        sessions.end(session, previous.id, previous.user_id)  # type: ignore[arg-type]
    method = "password" if how == "password" else "passkey"
    token = sessions.start(
        session, _settings(request), user, request.headers.get("user-agent", ""), method=method
    )
    session.flush()
    new_id = session.exec(
        select(AuthSession.id).where(AuthSession.token_hash == sessions.token_hash(token))
    ).one()
    audit.record(
        session,
        "sign_in",
        actor_id=user.id,
        subject_id=user.id,
        ip=audit.request_ip(request),
        detail=how,
        session_id=new_id,
    )
    sessions.set_cookie(response, _settings(request), token)
    return response


# ---------------------------------------------------------------- sign in


async def login_page(request: Request) -> Response:
    user = current_user(request)
    if user is not None:
        return RedirectResponse(home_for(user), status_code=303)
    # A cookie of an ended session stays until the next sign-in replaces it: it opens nothing,
    # and each visit here says why she is signed out (a background fetch that lands here, e.g.
    # the offline copy's, must not take the reason away before she sees it).
    gone = ended(request)
    kept = gone is not None and await run_in_threadpool(
        drafts.has_pending, state.engine(request), gone.user_id
    )
    context: dict[str, Any] = {
        "errors": {},
        "username": "",
        "signed_out": why(request),
        "kept": kept,
    }
    return render(request, "auth/login.html", context)


def login_options(request: Request) -> Response:
    if not _limiter(request).hit(ratelimit.SIGN_IN_PER_IP, "login-ip", _ip(request)):
        return _too_many(request, ratelimit.SIGN_IN_PER_IP, "login-ip", _ip(request))
    with db.write_session(state.engine(request)) as session:
        return JSONResponse(_auth_options(session, _settings(request)))


async def _ceremony(request: Request, step: Ceremony) -> Response:
    """Run one passkey ceremony's final step in a write transaction, off the event loop.

    A refusal rolls the whole step back (nothing half-created), is audited on its own, and is
    answered with a translated JSON error for passkeys.js.
    """
    payload = await _json(request)
    if isinstance(payload, JSONResponse):
        return payload

    def work() -> Response:
        try:
            with db.write_session(state.engine(request)) as session:
                return step(session, payload)
        except PasskeyError as exc:
            _audit_refusal(request, exc, payload)
            return _error(_(exc.message), 400)

    return await run_in_threadpool(work)


def _nickname(payload: dict[str, Any], default: str) -> str:
    return str(payload.get("nickname") or "")[:60].strip() or default


async def login_passkey(request: Request) -> Response:
    def step(session: Session, payload: dict[str, Any]) -> Response:
        challenge = take_challenge(session, payload.get("handle"), "login")
        result = verify_authentication(session, _settings(request), challenge, payload)
        if result.user.disabled:
            raise PasskeyError("disabled", N_("This account is closed."))
        home = after_enrolment(result.user) if result.first_use else home_for(result.user)
        response = JSONResponse({"redirect": home})
        return _signed_in(request, session, result.user, response, "passkey")

    return await _ceremony(request, step)


def _audit_refusal(request: Request, exc: PasskeyError, payload: dict[str, Any]) -> None:
    """Refusals are audited in their own transaction (the ceremony's was rolled back)."""
    with db.write_session(state.engine(request)) as session:
        subject = None
        credential = payload.get("credential")
        raw_id = credential.get("rawId") if isinstance(credential, dict) else None
        if isinstance(raw_id, str):
            try:
                cred_id = base64url_to_bytes(raw_id)
                passkey = session.exec(
                    select(Passkey).where(Passkey.credential_id == cred_id)
                ).first()
                subject = passkey.user_id if passkey else None
            except ValueError:
                subject = None
        audit.record(
            session,
            "passkey_refused",
            subject_id=subject,
            ip=audit.request_ip(request),
            detail=exc.reason,
        )


def login_password(request: Request, form: FormData) -> Response:
    username = inputs.text(form, "username")[:60]
    password = inputs.text(form, "password", strip=False)[: passwords.MAX_LENGTH]
    limiter = _limiter(request)
    if not limiter.hit(ratelimit.SIGN_IN_PER_IP, "login-ip", _ip(request)):
        return _too_many(request, ratelimit.SIGN_IN_PER_IP, "login-ip", _ip(request))
    if not limiter.hit(ratelimit.SIGN_IN_PER_ACCOUNT, "login-user", username.lower()):
        return _too_many(request, ratelimit.SIGN_IN_PER_ACCOUNT, "login-user", username.lower())
    # The hash is checked outside any write transaction: it is slow on purpose.
    with db.read_session(state.engine(request)) as session:
        user = identity.find_by_username(session, _settings(request), username)
    ok, new_hash = passwords.verify(password, user.password_hash if user else None)
    with db.write_session(state.engine(request)) as session:
        if user is None or not ok or user.disabled:
            audit.record(
                session,
                "password_refused",
                subject_id=user.id if user else None,
                ip=audit.request_ip(request),
            )
            error = _("The user name or the password is wrong.")
            return render(
                request,
                "auth/login.html",
                {"errors": {"password": error}, "username": username, "signed_out": None},
                status_code=400,
            )
        if new_hash:
            user.password_hash = new_hash
            session.add(user)
        response = RedirectResponse(home_for(user), status_code=303)
        return _signed_in(request, session, user, response, "password")


def logout(request: Request) -> Response:
    auth = current_auth(request)
    response = RedirectResponse("/", status_code=303)
    if auth is not None:
        with db.write_session(state.engine(request)) as session:
            sessions.end(session, auth.id, auth.user_id)  # type: ignore[arg-type]
            audit.record(
                session,
                "sign_out",
                actor_id=auth.user_id,
                subject_id=auth.user_id,
                ip=audit.request_ip(request),
            )
    sessions.clear_cookie(response, _settings(request))
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


# ---------------------------------------------------------------- enrolment (redeem a code)


async def enrol_page(request: Request) -> Response:
    return render(request, "auth/enrol.html", {"errors": {}})


async def enrol_options(request: Request) -> Response:
    payload = await _json(request)
    if isinstance(payload, JSONResponse):
        return payload
    return await run_in_threadpool(_enrol_options, request, payload)


def _enrol_options(request: Request, payload: dict[str, Any]) -> Response:
    code = payload.get("code")
    limiter = _limiter(request)
    if not limiter.hit(ratelimit.CODE_PER_IP, "code-ip", _ip(request)):
        return _too_many(request, ratelimit.CODE_PER_IP, "code-ip", _ip(request))
    if not isinstance(code, str):
        return _error(_("Type the code you were given."))
    with db.write_session(state.engine(request)) as session:
        row = codes.find_valid(session, _settings(request).secret_key, code)
        if row is None:
            audit.record(session, "code_refused", ip=audit.request_ip(request))
            return _error(_(CODE_REFUSED))
        if not limiter.hit(ratelimit.CODE_PER_ACCOUNT, "code-user", str(row.user_id)):
            return _too_many(request, ratelimit.CODE_PER_ACCOUNT, "code-user", str(row.user_id))
        user = session.get(User, row.user_id)
        if user is None or user.disabled:
            audit.record(session, "code_refused", subject_id=row.user_id, detail="disabled")
            return _error(_(CODE_REFUSED))
        return JSONResponse(
            _reg_options(session, _settings(request), user, enrolment_code_id=row.id)
        )


async def enrol_passkey(request: Request) -> Response:
    """Redeem a code on the new phone. A code issued in the app only registers a pending
    passkey and answers the confirmation to show; nothing of the account is reachable until the
    issuer confirms it (codes.py). A console code signs in at once."""

    def step(session: Session, payload: dict[str, Any]) -> Response:
        challenge = take_challenge(session, payload.get("handle"), "register")
        if challenge.enrolment_code_id is None or challenge.user_id is None:
            raise PasskeyError("no_code", CODE_REFUSED)
        code_row = session.get(EnrolmentCode, challenge.enrolment_code_id)
        user = session.get(User, challenge.user_id)
        if code_row is None or user is None or user.disabled:
            raise PasskeyError("code_refused", CODE_REFUSED)
        confirmation = codes.redeem(session, _settings(request).secret_key, code_row.id)  # type: ignore[arg-type]
        if confirmation is None:
            raise PasskeyError("code_used", CODE_REFUSED)
        pending = codes.needs_confirmation(code_row)
        nickname = _nickname(payload, _("My phone"))
        passkey = verify_registration(
            session,
            _settings(request),
            challenge,
            payload,
            user,
            nickname,
            pending_code_id=code_row.id if pending else None,
        )
        session.flush()
        if pending:
            audit.record(
                session,
                "code_redeemed",
                actor_id=user.id,
                subject_id=user.id,
                ip=audit.request_ip(request),
                detail=f"passkey={passkey.id} {code_row.purpose}",
            )
            return JSONResponse({"confirmation": confirmation})
        passkey.last_used_at = now()  # a console code signs in with it at once
        audit.own_event(
            request,
            session,
            user.id,
            "passkey_added",
            f"passkey={passkey.id} enrolment code={code_row.id}",
        )
        response = JSONResponse({"redirect": after_enrolment(user)})
        return _signed_in(request, session, user, response, "enrolment")

    return await _ceremony(request, step)


# ---------------------------------------------------------------- account


def _account_context(request: Request, user: User) -> dict[str, Any]:
    with db.read_session(state.engine(request)) as session:
        keys = session.exec(
            select(Passkey)
            .where(Passkey.user_id == user.id, col(Passkey.pending_code_id).is_(None))
            .order_by(col(Passkey.created_at))
        ).all()
    return {
        "passkeys": keys,
        "synced": any(k.backed_up for k in keys),
        "errors": {},
        "fresh": stepup.is_fresh(request),
        "by_password": getattr(current_auth(request), "method", "") == "password",
    }


NOT_FRESH = N_("First confirm that it is you with a passkey. A password is not enough for this.")


def _needs_fresh_check(request: Request, back: str = "/account") -> Response | None:
    """Changing how someone signs in needs a passkey check in the last five minutes."""
    if stepup.is_fresh(request):
        return None
    verify = stepup.verify_url(back)
    if request.headers.get("content-type", "").startswith("application/json"):
        return JSONResponse({"error": _(NOT_FRESH), "redirect": verify}, status_code=403)
    return RedirectResponse(verify, status_code=303)


def account(request: Request) -> Response:
    user = require(request)
    return render(request, "auth/account.html", _account_context(request, user))


def add_passkey_options(request: Request) -> Response:
    user = require(request)
    if (refusal := _needs_fresh_check(request)) is not None:
        return refusal
    with db.write_session(state.engine(request)) as session:
        return JSONResponse(_reg_options(session, _settings(request), user))


async def add_passkey(request: Request) -> Response:
    user = require(request)
    if (refusal := _needs_fresh_check(request)) is not None:
        return refusal

    def step(session: Session, payload: dict[str, Any]) -> Response:
        challenge = take_challenge(session, payload.get("handle"), "register")
        if challenge.user_id != user.id or challenge.enrolment_code_id is not None:
            raise PasskeyError("wrong_user", GENERIC)
        nickname = _nickname(payload, _("Passkey"))
        passkey = verify_registration(
            session, _settings(request), challenge, payload, user, nickname
        )
        # Registered (with user verification) while signed in: it counts as used, so only a
        # phone confirmed in a meeting lands on the quick-exit explanation at its first sign-in.
        passkey.last_used_at = now()
        session.flush()
        audit.own_event(request, session, user.id, "passkey_added", f"passkey={passkey.id}")
        return JSONResponse({"redirect": "/account"})

    return await _ceremony(request, step)


def _own_passkey(session: Session, user: User, passkey_id: int) -> Passkey:
    passkey = session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != user.id:
        raise HTTPException(404)
    return passkey


def rename_passkey(request: Request, form: FormData) -> Response:
    user = require(request)
    nickname = inputs.text(form, "nickname")
    passkey_id = request.path_params["passkey_id"]
    if not nickname or len(nickname) > 60:
        ctx = _account_context(request, user)
        ctx["errors"] = {passkey_id: _("The name must be 1 to 60 characters.")}
        return render(request, "auth/account.html", ctx, status_code=400)
    with db.write_session(state.engine(request)) as session:
        passkey = _own_passkey(session, user, passkey_id)
        passkey.nickname = nickname
        session.add(passkey)
        audit.own_event(request, session, user.id, "passkey_renamed", f"passkey={passkey.id}")
    return RedirectResponse("/account", status_code=303)


def delete_passkey(request: Request) -> Response:
    user = require(request)
    if (redirect := _needs_fresh_check(request)) is not None:
        return redirect
    passkey_id = request.path_params["passkey_id"]
    with db.write_session(state.engine(request)) as session:
        passkey = _own_passkey(session, user, passkey_id)
        count = session.exec(
            select(func.count())
            .select_from(Passkey)
            .where(Passkey.user_id == user.id, col(Passkey.pending_code_id).is_(None))
        ).one()
        if count <= 1:
            ctx = _account_context(request, user)
            ctx["errors"] = {
                passkey_id: _("You cannot remove your last passkey. Add another one first.")
            }
            return render(request, "auth/account.html", ctx, status_code=400)
        session.delete(passkey)
        audit.own_event(request, session, user.id, "passkey_removed", f"passkey={passkey_id}")
    return RedirectResponse("/account", status_code=303)


async def verify_page(request: Request) -> Response:
    require(request)
    # ``next``: where to go after the check (a path on this site only; stepup.safe_next).
    target = stepup.safe_next(request.query_params.get("next"))
    query = "" if target == stepup.DEFAULT_NEXT else "?next=" + quote(target, safe="/")
    return render(request, "auth/verify.html", {"next": target, "next_query": query})


def verify_options(request: Request) -> Response:
    user = require(request)
    with db.write_session(state.engine(request)) as session:
        return JSONResponse(_auth_options(session, _settings(request), "reauth", user.id))


async def verify_passkey(request: Request) -> Response:
    user = require(request)
    auth = current_auth(request)
    assert auth is not None

    def step(session: Session, payload: dict[str, Any]) -> Response:
        challenge = take_challenge(session, payload.get("handle"), "reauth")
        result = verify_authentication(session, _settings(request), challenge, payload)
        if result.user.id != user.id:
            raise PasskeyError("wrong_user", GENERIC)
        sessions.mark_verified(session, auth.id)  # type: ignore[arg-type]
        audit.own_event(request, session, user.id, "reauthenticated")
        return JSONResponse({"redirect": stepup.safe_next(request.query_params.get("next"))})

    return await _ceremony(request, step)


# ---------------------------------------------------------------- password fallback


async def password_page(request: Request) -> Response:
    user = require(request)
    if (refusal := _needs_fresh_check(request, "/account/password")) is not None:
        return refusal
    return render(request, "auth/password.html", {"errors": {}, "username": user.username or ""})


def set_password(request: Request, form: FormData) -> Response:
    """Set or change the password fallback. Needs a fresh passkey check, so knowing the old
    password is worth nothing here; whether a user name is taken is told only to someone who
    passed that check, a few times an hour (no probing for who has an account)."""
    user = require(request)
    username = inputs.text(form, "username")[:60]
    password = inputs.text(form, "password", strip=False)[: passwords.MAX_LENGTH]
    if not stepup.is_fresh(request):
        verify = stepup.verify_url("/account/password")
        context = {"errors": {"form": _(NOT_FRESH)}, "username": username, "verify": verify}
        return render(request, "auth/password.html", context, status_code=403)
    errors: dict[str, str] = {}
    if not (3 <= len(username) <= 60) or not all(c.isalnum() or c in "._-" for c in username):
        errors["username"] = _("The user name must be 3 to 60 letters, digits, '.', '_' or '-'.")
    problems = passwords.problems(password, username)
    if problems:
        errors["password"] = " ".join(_(p) for p in problems)
    limiter = _limiter(request)
    if not errors and not limiter.hit(ratelimit.USERNAME_PER_ACCOUNT, "username", str(user.id)):
        return _too_many(request, ratelimit.USERNAME_PER_ACCOUNT, "username", str(user.id))
    if not errors:
        new_hash = passwords.hash_password(password)  # slow on purpose: outside the lock
        try:
            with db.write_session(state.engine(request)) as session:
                if identity.taken_by_other(session, _settings(request), username, user.id):
                    raise IntegrityError(None, None, Exception("username taken"))
                fresh = session.get(User, user.id)
                assert fresh is not None
                identity.set_username(fresh, _settings(request), username)
                fresh.password_hash = new_hash
                session.add(fresh)
                audit.own_event(request, session, user.id, "password_set")
            return RedirectResponse("/account", status_code=303)
        except IntegrityError:
            # Taken — found by the check, or (on PostgreSQL) by the unique index when someone
            # else claimed the same name at the same moment: the same answer, never a 500.
            errors["username"] = _("That user name is taken. Choose another one.")
    return render(
        request, "auth/password.html", {"errors": errors, "username": username}, status_code=400
    )


def delete_password(request: Request) -> Response:
    user = require(request)
    if (redirect := _needs_fresh_check(request)) is not None:
        return redirect
    with db.write_session(state.engine(request)) as session:
        fresh = session.get(User, user.id)
        assert fresh is not None
        fresh.password_hash = None
        identity.set_username(fresh, _settings(request), None)
        session.add(fresh)
        audit.own_event(request, session, user.id, "password_removed")
    return RedirectResponse("/account", status_code=303)


# ---------------------------------------------------------------- sessions


def sessions_page(request: Request) -> Response:
    user = require(request)
    with db.read_session(state.engine(request)) as session:
        rows = session.exec(
            select(AuthSession)
            .where(
                AuthSession.user_id == user.id,
                col(AuthSession.ended_at).is_(None),
                col(AuthSession.expires_at) > now(),
            )
            .order_by(col(AuthSession.last_seen_at).desc())
        ).all()
    return render(
        request,
        "auth/sessions.html",
        {"sessions": rows, "current_id": current_auth(request).id},  # type: ignore[union-attr]
    )


def end_session(request: Request) -> Response:
    """Signing this device out is always possible; ending another device's session needs a
    fresh passkey check (with the password alone, the stalker could sign her out)."""
    user = require(request)
    session_id = request.path_params["session_id"]
    mine = session_id == current_auth(request).id  # type: ignore[union-attr]
    if not mine and (refusal := _needs_fresh_check(request, "/account/sessions")) is not None:
        return refusal
    with db.write_session(state.engine(request)) as session:
        if not sessions.end(session, session_id, user.id):  # type: ignore[arg-type]
            raise HTTPException(404)
        audit.own_event(request, session, user.id, "session_ended", f"session={session_id}")
    if session_id == current_auth(request).id:  # type: ignore[union-attr]
        return logout(request)
    return RedirectResponse("/account/sessions", status_code=303)


def end_all_sessions(request: Request) -> Response:
    user = require(request)
    if (refusal := _needs_fresh_check(request, "/account/sessions")) is not None:
        return refusal
    with db.write_session(state.engine(request)) as session:
        count = sessions.end_all(session, user.id)  # type: ignore[arg-type]
        audit.own_event(request, session, user.id, "sessions_ended_all", f"count={count}")
    return logout(request)


# ---------------------------------------------------------------- account notices


def dismiss(request: Request, form: FormData) -> Response:
    """Hide this device's notices up to the newest one it showed (a newer one stays)."""
    user = require(request)
    auth = current_auth(request)
    assert auth is not None
    raw = str(form.get("seen", ""))
    with db.write_session(state.engine(request)) as session:
        seen = inputs.parse_id(raw)
        event = session.get(AuditEvent, seen) if seen is not None else None
        if event is None or event.subject_id != user.id:
            return error_response(request, 400)
        session.execute(
            update(AuthSession)
            .where(
                col(AuthSession.id) == auth.id,
                or_(
                    col(AuthSession.notices_seen_at).is_(None),
                    col(AuthSession.notices_seen_at) < event.at,
                ),
            )
            .values(notices_seen_at=event.at)
        )
    if auth.notices_seen_at is None or aware(auth.notices_seen_at) < aware(event.at):
        auth.notices_seen_at = event.at  # this request's copy, for the answer below
    if is_htmx(request):
        body = render_text(request, "auth/_notices.html", {"dismissed": True})
        response = Response(body, media_type="text/html")
        response.headers["Vary"] = "HX-Request"
        return response
    return RedirectResponse(inputs.safe_next(form.get("next")), status_code=303)


# ---------------------------------------------------------------- the idle warning (idle.js)


def session_left(request: Request) -> JSONResponse:
    """Seconds this session has left unless it is used; asking does not count as use, so a page
    in another tab that was used keeps this one's warning away, and nothing else does."""
    user, auth = current_user(request), current_auth(request)
    left = 0 if user is None or auth is None else sessions.idle_left(_settings(request), user, auth)
    return JSONResponse({"left": left})


def renew_session(request: Request) -> JSONResponse:
    """ "Bliv logget ind": this session was used now (one small POST with the CSRF token)."""
    user, auth = require(request), current_auth(request)
    assert auth is not None and auth.id is not None
    sessions.renew(state.engine(request), auth.id)
    auth.last_seen_at = now()
    return JSONResponse({"left": sessions.idle_left(_settings(request), user, auth)})


# ---------------------------------------------------------------- text kept at a sign-out


def _plan_of(path: str) -> str:
    """The plan page a draft's form belongs to (``/plans/7/items/3`` → ``/plans/7``)."""
    return "/".join(path.split("/")[:3])


def use_draft(request: Request) -> Response:
    """ "Brug teksten": the form again, with the text in it, sent to the route it was meant for."""
    user = require(request)
    with db.write_session(state.engine(request)) as session:
        draft = drafts.take(session, user.id, request.path_params["draft_id"])  # type: ignore[arg-type]
    if draft is None:
        raise HTTPException(404)
    context = {"draft": draft, "typed": drafts.TYPED, "long": drafts.LONG}
    return render(request, "auth/draft.html", context | {"back": _plan_of(draft.path)})


def discard_draft(request: Request) -> Response:
    """ "Kassér"."""
    user = require(request)
    with db.write_session(state.engine(request)) as session:
        draft = drafts.take(session, user.id, request.path_params["draft_id"])  # type: ignore[arg-type]
    if draft is None:
        raise HTTPException(404)
    return RedirectResponse(_plan_of(draft.path), status_code=303)


routes = [
    Route("/login", login_page, name="login"),
    Route("/drafts/{draft_id:id}/use", use_draft, methods=["POST"]),
    Route("/drafts/{draft_id:id}/discard", discard_draft, methods=["POST"]),
    Route(sessions.IDLE_CHECK_PATH, session_left),
    Route("/session/renew", renew_session, methods=["POST"]),
    Route("/login/options", login_options, methods=["POST"]),
    Route("/login/passkey", login_passkey, methods=["POST"]),
    Route("/login/password", form_endpoint(login_password), methods=["POST"]),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/enrol", enrol_page, name="enrol"),
    Route("/enrol/options", enrol_options, methods=["POST"]),
    Route("/enrol/passkey", enrol_passkey, methods=["POST"]),
    Route("/account", account, name="account"),
    Route("/account/passkeys/options", add_passkey_options, methods=["POST"]),
    Route("/account/passkeys", add_passkey, methods=["POST"]),
    Route(
        "/account/passkeys/{passkey_id:id}/rename", form_endpoint(rename_passkey), methods=["POST"]
    ),
    Route("/account/passkeys/{passkey_id:id}/delete", delete_passkey, methods=["POST"]),
    Route("/account/verify", verify_page),
    Route("/account/verify/options", verify_options, methods=["POST"]),
    Route("/account/verify/passkey", verify_passkey, methods=["POST"]),
    Route("/account/password", password_page),
    Route("/account/password/set", form_endpoint(set_password), methods=["POST"]),
    Route("/account/password/delete", delete_password, methods=["POST"]),
    Route("/account/sessions", sessions_page),
    Route("/account/sessions/{session_id:id}/end", end_session, methods=["POST"]),
    Route("/account/sessions/end-all", end_all_sessions, methods=["POST"]),
    Route("/account/notices/dismiss", form_endpoint(dismiss), methods=["POST"]),
]
