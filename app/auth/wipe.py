"""The wipe, "Slet alt på denne telefon", signs out even when done offline (issue 12 point 6).

The wipe's JavaScript (static/js/offline.js) cannot remove the session cookie (it is HttpOnly)
and, offline, cannot reach ``/logout``. So it sets a marker cookie, ``tryg_wiped=1``
(``__Host-tryg_wiped`` on https, like the session cookie). :class:`WipeMarker`, a pure ASGI
middleware just outside :class:`~app.auth.sessions.SessionAuth`, honours it at the next request
that carries it: the session the request names is ended (audited ``session_ended`` / ``wipe``),
the session cookie is taken out of the request, so the request goes on signed out, and the
answer clears the session cookie and the marker and sends ``Clear-Site-Data``.

The marker can only sign someone out, never in: it removes a cookie from the request and adds
cookie deletions to the answer, nothing else. Without a session cookie it only clears itself.
When the request itself signs in (the answer sets a new session cookie), that cookie stands.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import audit, db, state
from app.auth import sessions
from app.auth.models import AuthSession
from app.settings import Settings

# The same as a sign-out's (app/auth/routes.py): caches, cookies, storage and service workers.
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


def marker_name(settings: Settings) -> str:
    """Mirrors static/js/offline.js: ``__Host-`` on https, as for the session cookie."""
    return ("__Host-" if settings.https else "") + "tryg_wiped"


def _without(cookie_header: bytes, names: set[str]) -> bytes:
    """A Cookie header minus the named cookies; the others are kept byte for byte."""
    kept = [
        part
        for part in cookie_header.split(b";")
        if part.split(b"=", 1)[0].strip().decode("latin-1") not in names
    ]
    return b";".join(kept).strip()


def end_wiped_session(engine: Engine, settings: Settings, token: str, ip: str) -> None:
    with db.write_session(engine) as session:
        auth = session.exec(
            select(AuthSession).where(
                AuthSession.token_hash == sessions.token_hash(token),
                col(AuthSession.ended_at).is_(None),
            )
        ).first()
        if auth is None or not sessions.end(session, auth.id, auth.user_id):  # type: ignore[arg-type]
            return
        event = audit.record(
            session,
            "session_ended",
            actor_id=auth.user_id,
            subject_id=auth.user_id,
            ip=audit.hash_ip(settings.secret_key, ip),
            detail="wipe",
        )
        event.session_id = auth.id


class WipeMarker:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.marker = marker_name(settings)
        self.session_cookie = sessions.cookie_name(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        cookies = request.cookies
        if self.marker not in cookies:
            await self.app(scope, receive, send)
            return
        token = cookies.get(self.session_cookie)
        if token:
            client = scope.get("client")
            await run_in_threadpool(  # database work never runs on the event loop
                end_wiped_session,
                state.engine(request),
                self.settings,
                token,
                client[0] if client else "",
            )
        # The rest of the app sees a request without the session and without the marker.
        drop = {self.marker, self.session_cookie}
        scope["headers"] = [
            (name, _without(value, drop) if name == b"cookie" else value)
            for name, value in scope["headers"]
        ]
        had_session = token is not None
        settings = self.settings

        async def send_clearing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                prefix = self.session_cookie + "="
                sets_session = any(
                    value.startswith(prefix) for value in headers.getlist("set-cookie")
                )
                cleared = Response()
                cleared.delete_cookie(
                    self.marker, path="/", samesite="strict", secure=settings.https
                )
                if had_session and not sets_session:  # a sign-in in this very request stands
                    sessions.clear_cookie(cleared, settings)
                    headers["Clear-Site-Data"] = CLEAR_SITE_DATA
                for value in cleared.headers.getlist("set-cookie"):
                    headers.append("set-cookie", value)
            await send(message)

        await self.app(scope, receive, send_clearing)
