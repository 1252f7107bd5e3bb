"""The live layer's objects in the application state: one broker per process (built by the
lifespan) and the cap on open streams, read through typed accessors like :mod:`app.state`."""

from __future__ import annotations

from typing import cast

from starlette.requests import HTTPConnection

from app.live.broker import Broker
from app.live.limits import StreamLimit


def broker(conn: HTTPConnection) -> Broker:
    return cast(Broker, conn.app.state.broker)


def stream_limit(conn: HTTPConnection) -> StreamLimit:
    return cast(StreamLimit, conn.app.state.stream_limit)
