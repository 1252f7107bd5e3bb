"""What the running application shares between requests, typed, and read through accessors.

``create_app`` builds an ``AppState`` (settings, rate limiter) as ``app.state``; its lifespan
adds the engine. Code reads them here (``state.engine(request)``), never as
``request.app.state.x``, so a type checker sees what each one is. The live layer's own shared
objects (the broker, the stream limit) sit in the same state but are declared and read in
:mod:`app.live.shared`, so this foundation module names nothing above it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from starlette.datastructures import State
from starlette.requests import HTTPConnection

if TYPE_CHECKING:  # types only
    from sqlalchemy.engine import Engine

    from app.ratelimit import Limiter
    from app.settings import Settings


class AppState(State):
    """``app.state`` with its attributes declared.

    Still a Starlette ``State`` (attributes live in its dictionary), so ``app.state.engine``
    reads and assignments, as the tests do, keep working. ``engine`` exists only while the
    lifespan runs.
    """

    settings: Settings
    limiter: Limiter
    engine: Engine

    def __init__(self, settings: Settings, limiter: Limiter) -> None:
        super().__init__()
        self.settings = settings
        self.limiter = limiter


def of(conn: HTTPConnection) -> AppState:
    return cast(AppState, conn.app.state)


def settings(conn: HTTPConnection) -> Settings:
    return of(conn).settings


def engine(conn: HTTPConnection) -> Engine:
    return of(conn).engine


def limiter(conn: HTTPConnection) -> Limiter:
    return of(conn).limiter
