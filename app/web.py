"""Rendering: one ``render()`` that answers a full page or, for htmx, only the fragment.

A page template names its swappable part as a Jinja block; an htmx request (that is not a
history restore) gets just that block, rendered with the same context, so the partial can never
drift from the page. Responses say ``Vary: HX-Request``.
"""

from __future__ import annotations

import functools
import logging
import secrets
import traceback
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import assets, i18n, inputs, resources, state  # inputs registers the {x:id} convertor
from app.i18n import N_, _, ngettext

log = logging.getLogger("tryg.web")

TEMPLATE_DIR = resources.TEMPLATES


LOCAL_ZONE = ZoneInfo("Europe/Copenhagen")


def _local(moment: datetime) -> datetime:
    """A timestamp the database hands back without its zone is UTC, never the server's zone."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(LOCAL_ZONE)


def local_time(moment: datetime) -> str:
    """Times are stored in UTC and shown as Danish wall-clock time."""
    return _local(moment).strftime("%d-%m-%Y %H:%M")


def local_date(moment: datetime) -> str:
    """The Danish calendar day of a UTC timestamp."""
    return _local(moment).strftime("%d-%m-%Y")


def make_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates do not change under a running server; checking the file on every include
        # cost ~6 ms of a plan page (`make bench`). Restart to see template edits.
        auto_reload=False,
        # A plain dict instead of a locked LRU: the templates are a fixed, small set, and a
        # plan page looks its includes up once per section.
        cache_size=-1,
    )
    env.filters["local"] = local_time
    env.filters["local_date"] = local_date
    env.globals["static_url"] = assets.static_url
    # A fresh key per rendered add form: a double tap sends it twice, and adds once.
    env.globals["form_key"] = lambda: secrets.token_urlsafe(16)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext
    )
    return env


ENV = make_env()


FormHandler = Callable[[Request, FormData], Response]


def form_endpoint(handler: FormHandler) -> Callable[[Request], Awaitable[Response]]:
    """Parse the form on the event loop, then run the handler (DB writes, password hashing)
    in the thread pool, so a slow hash or a busy database never stalls other requests."""

    async def endpoint(request: Request) -> Response:
        # TABs become spaces; no NUL or other control character reaches a handler.
        form = inputs.clean_form(await request.form())
        return await run_in_threadpool(handler, request, form)

    endpoint.__name__ = handler.__name__
    return endpoint


def is_htmx(request: Request) -> bool:
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )


def request_locale(request: Request) -> str:
    """Set (and return) this request's language. Middleware that answers before the session is
    looked up (CSRF, body limit) gets the cookie's or the browser's language."""
    user = request.scope.get("state", {}).get("user")
    locale = i18n.choose_locale(request, user.locale if user else None)
    i18n.set_locale(locale)
    return locale


def base_context(request: Request) -> dict[str, Any]:
    settings = state.settings(request)
    request_state = request.scope.get("state", {})
    user = request_state.get("user")
    locale = request_locale(request)
    return {
        "request": request,
        "settings": settings,
        "csrf_token": request_state.get("csrf_token", ""),
        # One hidden field per form: prebuilt once per request instead of an include per form.
        "csrf_input": Markup('<input type="hidden" name="csrftoken" value="{}">').format(
            request_state.get("csrf_token", "")
        ),
        "csrf_field": "csrftoken",
        "locale": locale,
        "languages": i18n.LANGUAGES,
        "user": user,
    } | {name: functools.partial(load, request) for name, load in PAGE_EXTRAS.items()}


# Loaders that templates call for a full page only (so fragments pay nothing), registered by
# the modules above this one when the app is built (e.g. the account notices): plumbing never
# imports a module that renders through it.
PAGE_EXTRAS: dict[str, Callable[[Request], Any]] = {}


def page_extra(name: str, load: Callable[[Request], Any]) -> None:
    """Offer ``name()`` to every template; it calls ``load(request)`` when a template asks."""
    PAGE_EXTRAS[name] = load


def render_text(
    request: Request, name: str, context: dict[str, Any] | None = None, block: str | None = None
) -> str:
    ctx = base_context(request) | (context or {})
    template = ENV.get_template(name)
    if block is None:
        return template.render(ctx)
    return "".join(template.blocks[block](template.new_context(ctx)))


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    block: str = "content",
    partial: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The full page, or for an htmx request only ``block`` — or the ``partial`` template the
    page includes (e.g. one plan section), rendered alone with the same context."""
    if is_htmx(request) and partial is not None:
        body = render_text(request, partial, context)
    else:
        body = render_text(request, name, context, block if is_htmx(request) else None)
    response = HTMLResponse(body, status_code=status_code, headers=headers)
    response.headers["Vary"] = "HX-Request"
    return response


ERROR_TITLES = {
    400: N_("The form could not be read"),
    403: N_("The form has expired"),
    404: N_("Page not found"),
    405: N_("That is not possible here"),
    413: N_("Too much text"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong"),
}


def error_response(
    request: Request,
    status_code: int,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A neutral error page in the visitor's language, with the exit button."""
    request_locale(request)  # before the title is translated
    title = ERROR_TITLES.get(status_code, ERROR_TITLES[500])
    return render(
        request,
        "errors/error.html",
        {"status": status_code, "title": _(title), "detail": detail},
        status_code=status_code,
        headers=headers,
    )


async def error_page(request: Request, status_code: int, detail: str | None = None) -> Response:
    """:func:`error_response` for middleware and exception handlers, which await it."""
    return error_response(request, status_code, detail)


def wait_message(minutes: int) -> str:
    """What a rate limit tells the person: how long until she may try again."""
    return ngettext(
        "Too many attempts. Try again in %(num)s minute.",
        "Too many attempts. Try again in %(num)s minutes.",
        minutes,
    ) % {"num": minutes}


def too_many(request: Request, minutes: int) -> Response:
    """The 429 page of every rate limit, with ``Retry-After``."""
    headers = {"Retry-After": str(minutes * 60)}
    return error_response(request, 429, wait_message(minutes), headers)


async def http_exception(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    detail = getattr(exc, "detail", None)
    # Starlette's default detail is the English reason phrase; show ours instead.
    custom = detail if isinstance(detail, str) and getattr(exc, "tryg_detail", False) else None
    return await error_page(request, status, custom)


class Errors:
    """Turn any unexpected exception into the neutral 500 page.

    The log line carries the request id, the exception type and where it was raised — never the
    exception message, which may quote form content or SQL parameters.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # the whole point: catch everything
            request_id = scope.get("state", {}).get("request_id", "-")
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            log.error(
                "unhandled error request_id=%s type=%s at=%s:%s",
                request_id,
                type(exc).__name__,
                Path(frame.filename).name,
                frame.lineno,
            )
            if not started:
                response = await error_page(Request(scope), 500)
                await response(scope, receive, send)
