"""What the running application shares between requests, typed, and read through accessors.

``create_app`` builds an ``AppState`` (settings, rate limiter, stream limit) as ``app.state``;
its lifespan adds the engine and the live broker. Code reads them here (``state.engine(request)``),
never as ``request.app.state.x``, so a type checker sees what each one is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from starlette.datastructures import State
from starlette.requests import HTTPConnection

if TYPE_CHECKING:  # types only: the engine, broker and stream limit live in other layers
    from sqlalchemy.engine import Engine

    from app.live.broker import Broker
    from app.live.limits import StreamLimit
    from app.ratelimit import Limiter
    from app.settings import Settings


class AppState(State):
    """``app.state`` with its attributes declared.

    Still a Starlette ``State`` (attributes live in its dictionary), so ``app.state.engine``
    reads and assignments, as the tests do, keep working. ``engine`` and ``broker`` exist only
    while the lifespan runs.
    """

    settings: Settings
    limiter: Limiter
    stream_limit: StreamLimit
    engine: Engine
    broker: Broker

    def __init__(self, settings: Settings, limiter: Limiter, stream_limit: StreamLimit) -> None:
        super().__init__()
        self.settings = settings
        self.limiter = limiter
        self.stream_limit = stream_limit


def of(conn: HTTPConnection) -> AppState:
    return cast(AppState, conn.app.state)


def settings(conn: HTTPConnection) -> Settings:
    return of(conn).settings


def engine(conn: HTTPConnection) -> Engine:
    return of(conn).engine


def broker(conn: HTTPConnection) -> Broker:
    return of(conn).broker


def limiter(conn: HTTPConnection) -> Limiter:
    return of(conn).limiter


def stream_limit(conn: HTTPConnection) -> StreamLimit:
    return of(conn).stream_limit
