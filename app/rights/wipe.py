"""A phone whose account was erased wipes itself at its next visit (issue 18 point 5).

Erasure ends every session of the person but keeps the session rows (ids and hashes of the
cookies, no device name), so the next request carrying such a cookie is recognised:
:class:`~app.auth.sessions.SessionAuth` marks it ``ended`` with the reason ``erased``, and this
middleware, just inside it, answers that request with ``Clear-Site-Data`` (caches, cookies,
storage: the offline copy, the service worker and the session cookie go; the cookie is also
deleted outright) — whatever page it asked for, and whoever holds the phone is told nothing
about an account. A request that signs someone in at the same time keeps its new cookie.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth import sessions
from app.settings import Settings

# The same as a sign-out's (app/auth/routes.py) and the offline wipe's (app/auth/wipe.py).
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


class ErasedWipe:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.cookie = sessions.cookie_name(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ended = scope.get("state", {}).get("ended") if scope["type"] == "http" else None
        if ended is None or ended.reason != "erased":
            await self.app(scope, receive, send)
            return

        async def send_wipe(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                prefix = self.cookie + "="
                if not any(v.startswith(prefix) for v in headers.getlist("set-cookie")):
                    # Not when this very request signs someone in (a new cookie stands). The
                    # cookie is also deleted for a browser that ignores Clear-Site-Data.
                    headers["Clear-Site-Data"] = CLEAR_SITE_DATA
                    cleared = Response()
                    sessions.clear_cookie(cleared, self.settings)
                    for value in cleared.headers.getlist("set-cookie"):
                        headers.append("set-cookie", value)
            await send(message)

        await self.app(scope, receive, send_wipe)
