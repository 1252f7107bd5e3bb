"""What the running application shares between requests, read through typed accessors.

``create_app`` puts the settings and the rate limiter on ``app.state``; its lifespan adds the
engine and the live broker. Code reads them here (``state.engine(request)``), never as
``request.app.state.x``, so a type checker sees what each one is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from sqlalchemy.engine import Engine
from starlette.requests import HTTPConnection

from app.ratelimit import Limiter
from app.settings import Settings

if TYPE_CHECKING:  # types only: the broker lives in a layer above this module
    from app.live.broker import Broker


def settings(conn: HTTPConnection) -> Settings:
    return cast(Settings, conn.app.state.settings)


def engine(conn: HTTPConnection) -> Engine:
    return cast(Engine, conn.app.state.engine)


def broker(conn: HTTPConnection) -> Broker:
    return cast("Broker", conn.app.state.broker)


def limiter(conn: HTTPConnection) -> Limiter:
    return cast(Limiter, conn.app.state.limiter)
