"""The one way a signed-in route reaches the database (issue 13 points 1 and 3).

``endpoint(handler, roles)`` turns a handler into a Starlette endpoint: the role check and the
form are read on the event loop; then exactly one trip to the thread pool opens the database
session, runs the handler and renders. A write commits before anything is rendered, so
SQLite's write lock is never held while Jinja works: a handler that writes returns a
:data:`Later` (a function of the :class:`Call`), which runs in a fresh read session after the
commit. A :class:`~app.versions.StaleWrite` rolls back and goes to the route's own
``on_stale`` renderer.

``prepare`` adds the route's own step between the session and the handler (plan routes check
plan access there: :mod:`app.plans.resource`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from app import db, inputs, state
from app.auth.access import require
from app.auth.models import Role, User
from app.versions import StaleWrite


@dataclass
class Call:
    """One request as a handler sees it: who, the open session, the form (empty for GET)."""

    request: Request
    user: User
    session: Session
    form: FormData

    def param(self, name: str) -> int:
        """A path id (the ``id`` convertor has made it a bounded int already)."""
        return int(self.request.path_params[name])

    @property
    def version(self) -> int:
        """The version the form saw: a 400 with a Danish message when it is missing or junk."""
        return inputs.version(self.form)


C = TypeVar("C", bound=Call)
Later = Callable[[Any], Response]
Reply = Response | Later
Handler = Callable[[C], Reply]
Stale = Callable[[C, StaleWrite], Reply]


def endpoint(
    handler: Handler[C],
    roles: tuple[Role, ...],
    *,
    write: bool,
    prepare: Callable[[Request, User, Session, FormData], C],
    on_stale: Stale[C] | None = None,
    read_form: Callable[[Request], Awaitable[FormData]] | None = None,
) -> Callable[[Request], Awaitable[Response]]:
    """A write reads the form (TABs become spaces; control characters are refused) on the
    loop and runs in a write session; a read runs in a read session. ``read_form`` replaces
    the form reading (a file upload parsed in memory: app/diary/routes.py)."""

    def run(request: Request, user: User, form: FormData) -> Response:
        engine = state.engine(request)
        opener = db.write_session if write else db.read_session
        with opener(engine) as session:
            call = prepare(request, user, session, form)
            try:
                reply = handler(call)
            except StaleWrite as stale:
                if on_stale is None:
                    raise
                session.rollback()  # expires what was loaded: the step runs again
                call = prepare(request, user, session, form)
                reply = on_stale(call, stale)
            if not write and not isinstance(reply, Response):
                return reply(call)
        if isinstance(reply, Response):
            return reply
        with db.read_session(engine) as session:  # committed: render without the write lock
            call.session = session
            return reply(call)

    async def route_endpoint(request: Request) -> Response:
        user = require(request, *roles)
        if not write:
            form = FormData()
        elif read_form is not None:
            form = await read_form(request)
        else:
            form = inputs.clean_form(await request.form())
        return await run_in_threadpool(run, request, user, form)

    route_endpoint.__name__ = handler.__name__
    route_endpoint.__doc__ = handler.__doc__
    return route_endpoint


def plain_call(request: Request, user: User, session: Session, form: FormData) -> Call:
    """``prepare`` for a route with no step of its own."""
    return Call(request, user, session, form)
