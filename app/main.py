"""The ASGI application: ``create_app()`` mounts each module's routes and the middleware."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app import (
    assets,
    crypto,
    db,
    home,
    i18n,
    inputs,
    language,
    ratelimit,
    resources,
    state,
    statements,
    web,
)
from app.actions import routes as action_routes
from app.auth import drafts, notices, signedout
from app.auth import routes as auth_routes
from app.auth.access import SignInRequired
from app.auth.sessions import SessionAuth, page_idle
from app.auth.wipe import WipeMarker
from app.contacts import routes as contact_routes
from app.diary import evidence as diary_evidence
from app.diary import offline as diary_offline
from app.diary import routes as diary_routes
from app.exit import routes as exit_routes
from app.exit.middleware import RedirectsForReplace
from app.info import routes as info_routes
from app.live.broker import make_broker
from app.live.limits import StreamLimit
from app.ops import health, logs
from app.orgs import hotlines
from app.orgs import routes as org_routes
from app.orgs import templates as org_templates
from app.phone import routes as phone_routes
from app.plans import routes as plan_routes
from app.plans import stream as plan_stream
from app.rights import routes as rights_routes
from app.rights.wipe import ErasedWipe
from app.security import CSRF, BodyLimit, SecurityHeaders
from app.settings import Settings
from app.sharing import enrolment, handshake
from app.sharing import routes as sharing_routes
from app.state import AppState
from app.web import Errors, error_page, http_exception, is_htmx

STATIC_DIR = resources.STATIC
# Below this a response is sent as it is (the gzip header and the round trip cost more).
GZIP_MINIMUM_BYTES = 500
# A stream's count outlives the stream's own lifetime by this much (a killed process's count).
STREAM_COUNT_SLACK_S = 60

app: Starlette  # ``app.main:app``, built on first access by ``__getattr__`` below


def configure_logging(level: str) -> None:
    logs.configure(level)  # JSON lines, ids only (app/ops/logs.py)


def create_app(settings: Settings | None = None, *, freeze_heap: bool = False) -> Starlette:
    """The app. ``freeze_heap`` (the served app, ``app.main:app``) hands what startup built to
    :func:`gc.freeze` once the lifespan has run (see there)."""
    settings = settings or Settings.from_env()
    i18n.check_catalogs()
    crypto.configure(crypto.Cipher.from_settings(settings))
    configure_logging(settings.log_level)
    # Called by templates/auth/_notices.html, so only a full page pays for the query.
    web.page_extra("account_notices", notices.pending)
    web.page_extra("idle", page_idle)  # templates/auth/_idle.html: the idle warning's timer
    web.page_extra("kept_drafts", drafts.offered)  # templates/plans/_drafts.html
    web.page_extra("diary_seal", diary_offline.seal_for)  # the log written offline

    # TRYG_RATELIMIT_URL: one budget for every instance (app/ratelimit.py), the stream cap too.
    shared = AppState(settings=settings, limiter=ratelimit.Limiter(settings.ratelimit_url))
    # The live layer's own (read through app.live.shared); the lifespan adds its broker.
    shared.stream_limit = StreamLimit(
        settings.live_streams_per_session,
        shared.limiter.storage,
        expiry_s=settings.live_stream_s + STREAM_COUNT_SLACK_S,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # No more threads than the connection pool serves (app/db.py THREADS).
        to_thread.current_default_thread_limiter().total_tokens = db.THREADS
        engine = db.make_engine(settings.database_url)
        db.migrate(engine)
        shared.engine = engine
        shared.broker = broker = make_broker(engine)
        await broker.start()
        if freeze_heap:
            # Startup leaves ~160,000 objects (SQLAlchemy, Jinja, alembic) that live as long as
            # the process; every full collection walked them all: a ~100 ms pause every few
            # hundred requests, the whole of the plan page's p99 at light load. Frozen, they
            # are skipped (full collections ≤ 5 ms). Not in tests: a test process creates many
            # apps, and a frozen one would never be collected.
            gc.collect()
            gc.freeze()
        yield
        await broker.stop()
        engine.dispose()

    routes = [
        *home.routes,
        *language.routes,
        *statements.routes,
        *info_routes.routes,
        *exit_routes.routes,
        *auth_routes.routes,
        *enrolment.routes,
        *handshake.routes,
        *org_routes.routes,
        *org_templates.routes,
        *plan_routes.routes,
        *sharing_routes.routes,
        *contact_routes.routes,
        *diary_routes.routes,
        *action_routes.routes,
        *hotlines.routes,
        *plan_stream.routes,
        *phone_routes.routes,
        *rights_routes.routes,
        *health.routes,
        Mount("/static", assets.CachedStatic(STATIC_DIR), name="static"),
    ]
    middleware = [
        # Outermost, so error pages are compressed too. Starlette never compresses
        # text/event-stream (the live stream stays unbuffered); level 6 is zlib's default
        # (level 9 costs half again as much CPU for ~5 % fewer bytes on a plan page).
        # BREACH: no body carries a secret unchanged (the CSRF token is masked per response).
        Middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=6),
        Middleware(SecurityHeaders, settings=settings),
        Middleware(logs.RequestLog, secret=settings.secret_key),  # one JSON line per request
        Middleware(Errors),
        Middleware(
            BodyLimit,
            limit=settings.max_body_bytes,
            error_page=error_page,
            larger={"/diary/evidence": diary_evidence.BODY_LIMIT},
        ),
        Middleware(CSRF, settings=settings, error_page=error_page),
        Middleware(WipeMarker, settings=settings),  # a wipe done offline signs out
        Middleware(SessionAuth, settings=settings, preload=notices.preload),
        Middleware(ErasedWipe, settings=settings),  # an erased account's phone wipes itself
        Middleware(RedirectsForReplace),  # history.js: a form's redirect as a replace
    ]
    if settings.forwarded_allow_ips:
        # Behind the listed proxies only: the client address and scheme they report (rate
        # limits, the audit's IP hash); anyone else's X-Forwarded-For is ignored.
        middleware.insert(
            0, Middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.forwarded_allow_ips))
        )
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: http_exception, SignInRequired: sign_in_first},
        lifespan=lifespan,
    )
    app.state = shared
    return app


async def sign_in_first(request: Request, exc: Exception) -> Response:
    await keep_typed_text(request)
    if request.method == "GET" and is_htmx(request):
        # A background refresh (a live update, presence, "Annullér"): the page decides
        # (static/js/idle.js) — typed, unsaved text stays on screen to be saved and kept for
        # after the sign-in; otherwise it reloads and the sign-in page says why.
        return Response(status_code=204, headers={"HX-Trigger": "signed-out"})
    if request.headers.get("hx-request") == "true":  # a history restore too: not is_htmx()
        # A reload, not HX-Redirect (which htmx follows with a history push): the page's own
        # GET then redirects to /login in the same history entry (docs/design.md §5, one entry).
        return Response(status_code=204, headers={"HX-Refresh": "true"})
    return RedirectResponse("/login", status_code=303)


async def keep_typed_text(request: Request) -> None:
    """A plan or contact form sent just after the session ended: what was typed in it is kept,
    sealed, for the same user, and offered back after the sign-in (app/auth/drafts.py)."""
    gone = signedout.ended(request)
    if request.method != "POST" or gone is None or gone.reason in ("disabled", "erased"):
        return
    try:
        form = inputs.clean_form(await request.form())
    except Exception:  # unreadable: nothing to keep, the sign-in still comes first
        return
    fields = drafts.worth_keeping(request.url.path, form)
    if fields is not None:
        await run_in_threadpool(
            drafts.keep, state.engine(request), gone.user_id, request.url.path, fields
        )


def __getattr__(name: str) -> Starlette:
    """``app.main:app`` for uvicorn, built on first access so importing this module is cheap."""
    if name == "app":
        global app
        app = create_app(freeze_heap=True)
        return app
    raise AttributeError(name)
