"""The live stream of a plan and the presence fragment: plan routes (they need plan access and
sessions) on top of the live services below plans (app/live: broker, presence, limits).

``GET /plans/{id}/events`` is authorised exactly like the plan page (404 for anyone without a
grant) and streams events that carry ids and versions only; the page re-fetches the changed
section through its normal route. The stream re-checks the grant whenever access changes and the
session on every heartbeat, and it ends after ``live_stream_s`` so that a long meeting is
re-authorised now and then (the client reconnects with ``Last-Event-ID`` and misses nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app import db, state
from app.auth.access import require
from app.auth.models import Role, User
from app.auth.sessions import is_active
from app.i18n import _
from app.live import presence, shared
from app.live.broker import RESYNC, Event
from app.plans.access import plan_access
from app.web import error_response, is_htmx, render

log = logging.getLogger(__name__)

RETRY_MS = 1000  # how soon the browser reconnects after a stream ends


def _plan_id(request: Request) -> int:
    return int(request.path_params["plan_id"])


def _allowed(request: Request, user: User, plan_id: int) -> bool:
    with db.read_session(state.engine(request)) as session:
        try:
            plan_access(session, user, plan_id)
        except HTTPException:
            return False
    return True


async def events(request: Request) -> Response:
    user = require(request, Role.victim, Role.caseworker)
    plan_id = _plan_id(request)
    engine, settings = state.engine(request), state.settings(request)
    if not await run_in_threadpool(_allowed, request, user, plan_id):
        raise HTTPException(404)
    session_id: int = request.state.auth.id
    limit = shared.stream_limit(request)
    if not await run_in_threadpool(limit.acquire, session_id):
        message = _("Too many open windows with this plan. Close some of them and reload.")
        return error_response(request, 429, message)
    broker = shared.broker(request)
    hub = broker.hub
    sub = hub.subscribe(plan_id)
    last = request.headers.get("last-event-id", "")
    backlog = hub.since(plan_id, last) if last else []
    try:
        stream = await run_in_threadpool(presence.join, engine, plan_id, user.id)  # type: ignore[arg-type]
    except BaseException:
        hub.unsubscribe(sub)
        limit.release(session_id)
        raise
    await run_in_threadpool(broker.publish, Event(plan=plan_id, kind="presence"))
    log.info("live: stream opened plan=%s user=%s", plan_id, user.id)

    async def gone() -> str | None:
        """Why this stream must end: ``session`` (it ended or the user was disabled; the page
        reloads and is told why) or ``access`` (the grant was revoked); None while it may go on."""
        if not await run_in_threadpool(is_active, engine, settings, session_id):
            return "session"
        if not await run_in_threadpool(_allowed, request, user, plan_id):
            return "access"
        return None

    async def messages() -> AsyncIterator[ServerSentEvent]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settings.live_stream_s
        try:
            # The id first: a reconnect after a quiet spell still says where it left off.
            yield ServerSentEvent(id=hub.position(), retry=RETRY_MS, comment="tryg")
            if backlog is None:
                yield ServerSentEvent(id=hub.position(), event=RESYNC, data="{}")
            else:
                for event_id, event in backlog:
                    yield ServerSentEvent(id=event_id, event=event.name, data=event.payload())
            while (left := deadline - loop.time()) > 0:
                try:
                    item = await asyncio.wait_for(
                        sub.queue.get(), timeout=min(left, presence.HEARTBEAT_S)
                    )
                except TimeoutError:
                    if why := await gone():
                        yield ServerSentEvent(event="revoked", data=json.dumps({"why": why}))
                        return
                    await run_in_threadpool(presence.beat, engine, stream)
                    yield ServerSentEvent(comment="")
                    continue
                if item is None:  # the app is shutting down
                    return
                if sub.behind:
                    sub.behind = False
                    yield ServerSentEvent(id=hub.position(), event=RESYNC, data="{}")
                    continue
                event_id, event = item
                if event.kind == "access":
                    if why := await gone():
                        yield ServerSentEvent(event="revoked", data=json.dumps({"why": why}))
                        return
                    continue
                yield ServerSentEvent(id=event_id, event=event.name, data=event.payload())
        finally:
            hub.unsubscribe(sub)
            # On the loop: one short call (memory, or one Redis round trip), and it must run
            # even when the stream was cancelled, where an await would not.
            limit.release(session_id)
            with contextlib.suppress(Exception):
                await run_in_threadpool(presence.leave, engine, stream)
                await run_in_threadpool(broker.publish, Event(plan=plan_id, kind="presence"))
            log.info("live: stream closed plan=%s user=%s", plan_id, user.id)

    return EventSourceResponse(
        messages(),
        ping=None,  # our own heartbeat re-checks the session too
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def presence_fragment(request: Request) -> Response:
    """Who else is here; without htmx there is nothing live to show, so back to the plan."""
    user = require(request, Role.victim, Role.caseworker)
    plan_id = _plan_id(request)
    with db.read_session(state.engine(request)) as session:
        access = plan_access(session, user, plan_id)
        if not is_htmx(request):
            return RedirectResponse(f"/plans/{plan_id}", status_code=303)
        people = presence.here(session, plan_id, except_user=user.id)
    return render(
        request,
        "plans/plan.html",
        {"access": access, "here": people},
        partial="live/_presence.html",
    )


routes = [
    Route("/plans/{plan_id:id}/events", events, name="plan_events"),
    Route("/plans/{plan_id:id}/presence", presence_fragment, name="plan_presence"),
]
