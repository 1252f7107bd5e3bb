"""Security plumbing as pure ASGI middleware (no ``BaseHTTPMiddleware`` layers).

* :class:`SecurityHeaders` — CSP without inline script or style, HSTS on https, no referrer,
  ``no-store`` on everything that is not a static asset, a request id.
* :class:`BodyLimit` — refuses oversized bodies before anything reads them.
* :class:`CSRF` — starlette-csrf's signed double-submit cookie, extended to accept the token from
  a plain form's hidden field (pages must work without JavaScript) as well as from htmx's header,
  and to expose the token to templates on the very first visit.

Responses are compressed (``main.py``), so no secret may sit unchanged in a body next to text
an attacker can influence (BREACH). Pages therefore never carry the CSRF cookie's value: each
response carries its secret masked with a fresh random pad (:func:`mask_token`, as Django does),
and the check unmasks what comes back before comparing in constant time. The cookie is unchanged.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import http.cookies
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from itsdangerous import BadSignature
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette_csrf import CSRFMiddleware

from app.settings import Settings

ErrorPage = Callable[[Request, int], Awaitable[Response]]

CSRF_FIELD = "csrftoken"
CSRF_HEADER = "x-csrftoken"
TOO_LARGE_EVENT = "too-large"

PERMISSIONS_POLICY = (
    "camera=(), microphone=(), payment=(), usb=(), interest-cohort=(), "
    "geolocation=(self), publickey-credentials-get=(self), publickey-credentials-create=(self)"
)


def content_security_policy(settings: Settings) -> str:
    script_src = ["'self'"]
    if settings.htmx_origin:
        script_src.append(settings.htmx_origin)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src " + " ".join(script_src),
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "font-src 'self'",
            "manifest-src 'self'",
            "worker-src 'self'",
            "form-action 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


def _is_static(path: str) -> bool:
    return path.startswith("/static/")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.csp = content_security_policy(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", self.csp)
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Permissions-Policy"] = PERMISSIONS_POLICY
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                headers["Cross-Origin-Resource-Policy"] = "same-origin"
                headers["X-Request-Id"] = request_id
                if self.settings.https:
                    headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
                if not _is_static(path) and "cache-control" not in headers:
                    # Anything that is not a static asset may show personal data.
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """Answer 413 for bodies over ``limit`` bytes, whether declared or streamed."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        error_page: ErrorPage,
        larger: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        self.error_page = error_page
        # Exact paths whose POST may be larger (a file upload: app/diary/evidence.py).
        self.larger = larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        if scope.get("method") == "POST":
            limit = self.larger.get(scope.get("path", ""), limit)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = True
            if too_big:
                await self._refuse(scope, receive, send)
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        response = await self.error_page(request, 413)
        if request.headers.get("hx-request") == "true":
            # htmx keeps the page as it is (the typed text stays) and the trigger becomes a
            # message at the form (static/js/swaps.js).
            response.headers["HX-Reswap"] = "none"
            response.headers["HX-Trigger"] = TOO_LARGE_EVENT
        await response(scope, receive, send)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _form_token(body: bytes, content_type: str) -> str | None:
    """The hidden-field token of an urlencoded or multipart form, without a full parse."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        try:
            values = parse_qs(body.decode("latin-1"), max_num_fields=1000).get(CSRF_FIELD)
        except ValueError:
            return None
        return values[0] if values else None
    if content_type.startswith("multipart/form-data"):
        marker = f'name="{CSRF_FIELD}"'.encode()
        start = body.find(marker)
        if start == -1:
            return None
        value_start = body.find(b"\r\n\r\n", start)
        value_end = body.find(b"\r\n", value_start + 4)
        if value_start == -1 or value_end == -1:
            return None
        return body[value_start + 4 : value_end].decode("latin-1")
    return None


def _secret(cookie: str) -> bytes:
    """The 32 bytes a page proves it knows: a digest of the (signed) cookie value."""
    return hashlib.sha256(cookie.encode()).digest()


def mask_token(cookie: str) -> str:
    """``base64url(pad || secret XOR pad)`` with a fresh pad: a different string in every
    response, so compression leaks nothing across responses about the secret."""
    secret = _secret(cookie)
    pad = secrets.token_bytes(len(secret))
    masked = bytes(a ^ b for a, b in zip(secret, pad, strict=True))
    return base64.urlsafe_b64encode(pad + masked).decode().rstrip("=")


def _unmask(submitted: str) -> bytes | None:
    try:
        raw = base64.urlsafe_b64decode(submitted + "=" * (-len(submitted) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 2 * hashlib.sha256().digest_size:
        return None
    half = len(raw) // 2
    return bytes(a ^ b for a, b in zip(raw[:half], raw[half:], strict=True))


def token_matches(cookie: str, submitted: str) -> bool:
    """Whether ``submitted`` is a masked form of ``cookie``'s secret (constant-time compare).

    The bare cookie value is accepted too: it proves the same knowledge (the cookie is
    HttpOnly, another site cannot read it), and clients that only hold the cookie send it.
    """
    if secrets.compare_digest(cookie.encode(), submitted.encode("utf-8", "replace")):
        return True
    unmasked = _unmask(submitted)
    return unmasked is not None and secrets.compare_digest(unmasked, _secret(cookie))


class CSRF(CSRFMiddleware):
    """starlette-csrf with a form-field fallback and a Danish error page."""

    def __init__(self, app: ASGIApp, settings: Settings, error_page: ErrorPage) -> None:
        super().__init__(
            app,
            secret=settings.secret_key,
            cookie_name=("__Host-" if settings.https else "") + "tryg_csrf",
            cookie_secure=settings.https,
            cookie_httponly=True,
            cookie_samesite="strict",
            header_name=CSRF_HEADER,
        )
        self.error_page = error_page

    def _generate_csrf_token(self) -> str:
        """256 random bits, signed (the library's default is 1024 bits: ~250 characters repeated
        in every form of a long plan page)."""
        return self.serializer.dumps(secrets.token_urlsafe(32))

    def _valid_cookie(self, token: str | None) -> bool:
        if not token:
            return False
        try:
            self.serializer.loads(token)
        except BadSignature:
            return False
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        cookie = request.cookies.get(self.cookie_name)
        fresh = not self._valid_cookie(cookie)
        token = self._generate_csrf_token() if fresh or cookie is None else cookie
        state = scope.setdefault("state", {})
        # What templates embed (hidden fields, htmx's header): masked afresh for this response.
        state["csrf_token"] = mask_token(token)

        if request.method not in self.safe_methods and not self._url_is_exempt(request.url):
            body = await _read_body(receive)
            submitted = request.headers.get(self.header_name) or _form_token(
                body, request.headers.get("content-type", "")
            )
            if fresh or not submitted or not token_matches(token, submitted):
                response = await self.error_page(request, 403)
                await self._send_with_cookie(response, scope, receive, send, token, fresh)
                return
            receive = _replay(body, receive)

        send = functools.partial(self._send, send=send, token=token, fresh=fresh)
        await self.app(scope, receive, send)

    async def _send_with_cookie(
        self,
        response: Response,
        scope: Scope,
        receive: Receive,
        send: Send,
        token: str,
        fresh: bool,
    ) -> None:
        await response(
            scope, receive, functools.partial(self._send, send=send, token=token, fresh=fresh)
        )

    async def _send(self, message: Message, send: Send, token: str, fresh: bool) -> None:
        if fresh and message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            cookie: http.cookies.BaseCookie[str] = http.cookies.SimpleCookie()
            cookie[self.cookie_name] = token
            cookie[self.cookie_name]["path"] = "/"
            cookie[self.cookie_name]["secure"] = self.cookie_secure
            cookie[self.cookie_name]["httponly"] = True
            cookie[self.cookie_name]["samesite"] = "Strict"
            headers.append("set-cookie", cookie.output(header="").strip())
        await send(message)


def _replay(body: bytes, original: Receive) -> Receive:
    """Hand the already-read body to the app once, then fall through to the real channel."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive
