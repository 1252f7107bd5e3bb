"""The least a signed-in page must do, with none of Tryg in it: the plan section's second floor.

Issue 14 asks for three things of every page that bound its speed before any product code runs:
database work off the event loop, a CSRF token masked afresh in every response (BREACH), and a
compressed body. This app does exactly that and nothing else: one indexed read of a session row
(the standard library's ``sqlite3``, a connection per thread, no ORM) in Starlette's thread
pool, the demo plan's own HTML (captured by the bench) with a fresh token written into it, and
Starlette's GZip middleware at Tryg's level. The mask is Tryg's own (``app.security.mask_token``):
it is one of the rules, not product code. Whatever Tryg does on top costs more, so this row
shows how much of the bare app's speed is left for the product at all.

``TRYG_SKELETON_PAGE`` is the captured page (its token replaced by ``TRYG_SKELETON_TOKEN``);
``TRYG_SKELETON_DB`` a SQLite file the app fills with one session row when it starts.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from app.security import mask_token

COOKIE = "the measured session's CSRF cookie"
SESSION = hashlib.sha256(b"the measured session").digest()
GZIP_LEVEL = 6  # app/main.py
GZIP_MINIMUM_BYTES = 500

_local = threading.local()


def prepare(path: str) -> None:
    """The one table and row the page reads (a session by the hash of its cookie)."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS session (token_hash BLOB PRIMARY KEY, user_id)")
        conn.execute("INSERT OR REPLACE INTO session VALUES (?, 1)", (SESSION,))


def _connection(path: str) -> sqlite3.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = sqlite3.connect(path)
    return conn


def _page(database: str, page: str, token: str) -> str:
    row = (
        _connection(database)
        .execute("SELECT user_id FROM session WHERE token_hash = ?", (SESSION,))
        .fetchone()
    )
    if row is None:
        raise RuntimeError("the skeleton's session row is missing")
    return page.replace(token, mask_token(COOKIE))  # Tryg's own mask, fresh each time


async def page(request: Request) -> Response:
    state = request.app.state
    return HTMLResponse(await run_in_threadpool(_page, state.database, state.page, state.token))


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.page = Path(os.environ["TRYG_SKELETON_PAGE"]).read_text()
    app.state.token = os.environ["TRYG_SKELETON_TOKEN"]
    app.state.database = os.environ["TRYG_SKELETON_DB"]
    prepare(app.state.database)
    yield


app = Starlette(
    routes=[Route("/", page)],
    lifespan=lifespan,
    middleware=[
        Middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL)
    ],
)
