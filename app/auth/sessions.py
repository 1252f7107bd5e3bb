"""Server-side sessions.

The cookie holds 256 random bits; the database holds only their SHA-256, so a copy of the
database cannot be turned into a live session. A new id at every sign-in; idle timeout by role;
an absolute lifetime; ending a session (here or from another device) takes effect at its next
request.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app import db, i18n, state
from app.auth.models import AuthSession, Role, User
from app.clock import now
from app.settings import Settings

TOUCH_EVERY = timedelta(seconds=60)
FRESH_FOR = timedelta(minutes=5)


def cookie_name(settings: Settings) -> str:
    return ("__Host-" if settings.https else "") + "tryg_session"


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def device_label(user_agent: str) -> str:
    """A coarse, non-identifying label for "my sessions": browser and system only."""
    ua = user_agent.lower()
    system = next(
        (
            name
            for key, name in [
                ("iphone", "iPhone"),
                ("ipad", "iPad"),
                ("android", "Android"),
                ("windows", "Windows"),
                ("mac os", "Mac"),
                ("linux", "Linux"),
            ]
            if key in ua
        ),
        "?",
    )
    browser = next(
        (
            name
            for key, name in [
                ("edg/", "Edge"),
                ("firefox", "Firefox"),
                ("chrome", "Chrome"),
                ("chromium", "Chromium"),
                ("safari", "Safari"),
            ]
            if key in ua
        ),
        "?",
    )
    return f"{browser} · {system}"


def idle_timeout(settings: Settings, user: User) -> timedelta:
    seconds = (
        settings.idle_timeout_victim_s
        if user.role == Role.victim
        else settings.idle_timeout_caseworker_s
    )
    return timedelta(seconds=seconds)


def start(
    session: Session, settings: Settings, user: User, user_agent: str, *, method: str = "passkey"
) -> str:
    """Create a session and return the cookie value (shown once, stored hashed).

    A passkey sign-in counts as a fresh check; a password sign-in never does (``verified_at``
    stays empty until a passkey check on this session)."""
    token = secrets.token_urlsafe(32)
    moment = now()
    session.add(
        AuthSession(
            token_hash=token_hash(token),
            user_id=user.id,  # type: ignore[arg-type]
            device=device_label(user_agent),
            created_at=moment,
            last_seen_at=moment,
            method=method,
            verified_at=moment if method == "passkey" else None,
            expires_at=moment + timedelta(seconds=settings.session_lifetime_s),
        )
    )
    return token


def set_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        cookie_name(settings),
        token,
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.https,
    )


def clear_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        cookie_name(settings), path="/", httponly=True, samesite="strict", secure=settings.https
    )


def end(session: Session, session_id: int, user_id: int) -> bool:
    result = session.execute(
        update(AuthSession)
        .where(
            col(AuthSession.id) == session_id,
            col(AuthSession.user_id) == user_id,
            col(AuthSession.ended_at).is_(None),
        )
        .values(ended_at=now())
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def end_all(session: Session, user_id: int, except_id: int | None = None) -> int:
    query = update(AuthSession).where(
        col(AuthSession.user_id) == user_id, col(AuthSession.ended_at).is_(None)
    )
    if except_id is not None:
        query = query.where(col(AuthSession.id) != except_id)
    return session.execute(query.values(ended_at=now())).rowcount  # type: ignore[attr-defined]


def mark_verified(session: Session, session_id: int) -> None:
    session.execute(
        update(AuthSession).where(col(AuthSession.id) == session_id).values(verified_at=now())
    )


def is_fresh(auth: AuthSession | None) -> bool:
    """A passkey check with user verification within the last five minutes. A password never
    counts (docs/design.md §2: "fresh means a passkey"): it is needed for anything that changes how
    someone signs in, who sees the plan or who gets the alarm."""
    if auth is None or auth.verified_at is None:
        return False
    return now() - auth.verified_at <= FRESH_FOR


@dataclass
class Current:
    user: User
    auth: AuthSession


@dataclass
class Ended:
    """A cookie whose session no longer counts, and why: ``idle`` (the idle timeout),
    ``lifetime`` (the absolute lifetime), ``ended`` (signed out elsewhere), ``disabled`` or
    ``erased`` (the account was erased: the phone wipes itself).
    The signed-out page says why; text typed before it is kept for the same user."""

    user_id: int
    session_id: int
    reason: str
    idle_minutes: int
    lifetime_hours: int


def why_ended(auth: AuthSession, user: User, settings: Settings, moment: datetime) -> str | None:
    """None while the session counts; else the reason it stopped (whichever came first)."""
    if user.erased_at is not None:  # the phone is told to wipe itself (app/rights/wipe.py)
        return "erased"
    if user.disabled:
        return "disabled"
    if auth.ended_at is not None:
        return "ended"
    idle_end = auth.last_seen_at + idle_timeout(settings, user)
    if auth.expires_at <= moment and auth.expires_at <= idle_end:
        return "lifetime"
    if moment > idle_end:
        return "idle"
    return None


def _counts(auth: AuthSession, user: User, settings: Settings, moment: datetime) -> bool:
    return why_ended(auth, user, settings, moment) is None


def idle_left(settings: Settings, user: User, auth: AuthSession) -> int:
    """Seconds until the idle timeout ends this session unless it is used (the page's idle
    warning counts down from this), never past the absolute lifetime."""
    idle_end = auth.last_seen_at + idle_timeout(settings, user)
    return max(0, int((min(idle_end, auth.expires_at) - now()).total_seconds()))


IDLE_CHECK_PATH = "/session/left"  # asks how long is left; must not itself count as use


def page_idle(request: Request) -> dict[str, int] | None:
    """For a signed-in page: its idle timeout and the seconds left (templates/auth/_idle.html)."""
    request_state = request.scope.get("state", {})
    user, auth = request_state.get("user"), request_state.get("auth")
    if user is None or auth is None:
        return None
    settings = state.settings(request)
    return {
        "timeout": int(idle_timeout(settings, user).total_seconds()),
        "left": idle_left(settings, user, auth),
    }


def renew(engine: Engine, session_id: int) -> None:
    """ "Stay signed in": this session was used just now."""
    with db.write_session(engine) as session:
        session.execute(
            update(AuthSession).where(col(AuthSession.id) == session_id).values(last_seen_at=now())
        )


def lookup(
    engine: Engine, settings: Settings, token: str, *, touch: bool = True
) -> Current | Ended | None:
    """The session a cookie names. ``touch`` records the use (at most once a minute)."""
    moment = now()
    with db.read_session(engine) as session:
        row = session.exec(
            select(AuthSession, User)
            .join(User, col(User.id) == col(AuthSession.user_id))
            .where(AuthSession.token_hash == token_hash(token))
        ).first()
    if row is None:
        return None
    auth, user = row
    reason = why_ended(auth, user, settings, moment)
    if reason is not None:
        return Ended(
            user_id=user.id,  # type: ignore[arg-type]
            session_id=auth.id,  # type: ignore[arg-type]
            reason=reason,
            idle_minutes=max(1, math.ceil(idle_timeout(settings, user).total_seconds() / 60)),
            lifetime_hours=settings.session_lifetime_s // 3600,
        )
    if touch and moment - auth.last_seen_at > TOUCH_EVERY:
        with db.write_session(engine) as session:
            session.execute(
                update(AuthSession)
                .where(col(AuthSession.id) == auth.id)
                .values(last_seen_at=moment)
            )
        auth.last_seen_at = moment
    return Current(user=user, auth=auth)


def is_active(engine: Engine, settings: Settings, session_id: int) -> bool:
    """Whether a session still counts, without touching it: an open live stream is not
    activity, so it does not keep an idle session alive."""
    with db.read_session(engine) as session:
        row = session.exec(
            select(AuthSession, User)
            .join(User, col(User.id) == col(AuthSession.user_id))
            .where(AuthSession.id == session_id)
        ).first()
    return row is not None and _counts(row[0], row[1], settings, now())


# Called with (engine, user, auth, scope) in the lookup's thread; its result goes to
# ``request.state.preloaded`` (see app/auth/notices.py ``preload``).
Preload = Callable[[Engine, User, AuthSession, Scope], Any]


class SessionAuth:
    """Puts ``user`` and ``auth`` (or None) into ``request.state`` for every request, and
    ``ended`` (an :class:`Ended`) when the cookie names a session that no longer counts."""

    def __init__(self, app: ASGIApp, settings: Settings, preload: Preload | None = None) -> None:
        self.app = app
        self.settings = settings
        self.cookie = cookie_name(settings)
        self.preload = preload

    def _work(self, engine: Engine, token: str, scope: Scope) -> tuple[Current | Ended | None, Any]:
        """Everything this middleware needs from the database, in one trip off the loop."""
        current = lookup(engine, self.settings, token, touch=scope["path"] != IDLE_CHECK_PATH)
        if not isinstance(current, Current) or self.preload is None:
            return current, None
        return current, self.preload(engine, current.user, current.auth, scope)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        request_state = scope.setdefault("state", {})
        request_state["user"] = request_state["auth"] = request_state["ended"] = None
        request = Request(scope)
        token = request.cookies.get(self.cookie)
        if token:
            # Off the event loop, once: the lookup reads (and every minute writes) the database,
            # and what a full page shows of the account (notices) comes along.
            current, extra = await run_in_threadpool(
                self._work, state.engine(request), token, scope
            )
            if isinstance(current, Current):
                request_state["user"], request_state["auth"] = current.user, current.auth
            elif isinstance(current, Ended):
                request_state["ended"] = current
            if extra is not None:
                request_state["preloaded"] = extra
        # Set for every request (JSON answers too), so no language leaks between requests.
        user = request_state["user"]
        i18n.set_locale(i18n.choose_locale(request, user.locale if user else None))
        await self.app(scope, receive, send)
