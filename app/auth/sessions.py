"""Server-side sessions.

The cookie holds 256 random bits; the database holds only their SHA-256, so a copy of the
database cannot be turned into a live session. A new id at every sign-in; idle timeout by role;
an absolute lifetime; ending a session (here or from another device) takes effect at its next
request.
"""

from __future__ import annotations

import hashlib
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


def _counts(auth: AuthSession, user: User, settings: Settings, moment: datetime) -> bool:
    return not (
        auth.ended_at is not None
        or user.disabled
        or auth.expires_at <= moment
        or moment - auth.last_seen_at > idle_timeout(settings, user)
    )


def lookup(engine: Engine, settings: Settings, token: str) -> Current | None:
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
    if not _counts(auth, user, settings, moment):
        return None
    if moment - auth.last_seen_at > TOUCH_EVERY:
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
    """Puts ``user`` and ``auth`` (or None) into ``request.state`` for every request."""

    def __init__(self, app: ASGIApp, settings: Settings, preload: Preload | None = None) -> None:
        self.app = app
        self.settings = settings
        self.cookie = cookie_name(settings)
        self.preload = preload

    def _work(self, engine: Engine, token: str, scope: Scope) -> tuple[Current | None, Any]:
        """Everything this middleware needs from the database, in one trip off the loop."""
        current = lookup(engine, self.settings, token)
        if current is None or self.preload is None:
            return current, None
        return current, self.preload(engine, current.user, current.auth, scope)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        request_state = scope.setdefault("state", {})
        request_state["user"] = request_state["auth"] = None
        request = Request(scope)
        token = request.cookies.get(self.cookie)
        if token:
            # Off the event loop, once: the lookup reads (and every minute writes) the database,
            # and what a full page shows of the account (notices) comes along.
            current, extra = await run_in_threadpool(
                self._work, state.engine(request), token, scope
            )
            if current is not None:
                request_state["user"], request_state["auth"] = current.user, current.auth
            if extra is not None:
                request_state["preloaded"] = extra
        # Set for every request (JSON answers too), so no language leaks between requests.
        user = request_state["user"]
        i18n.set_locale(i18n.choose_locale(request, user.locale if user else None))
        await self.app(scope, receive, send)
