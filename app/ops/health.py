"""``/healthz`` (the process answers) and ``/readyz`` (it can serve: the database answers, its
migrations are current and the live broker is listening), for a load balancer or proxy.

JSON, no session, nothing personal; ``/readyz`` runs in the thread pool (it queries)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app import db, state
from app.live import shared


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def readyz(request: Request) -> JSONResponse:
    engine = state.engine(request)
    problems = []
    if not db.ping(engine):
        problems.append("database")
    elif not db.is_migrated(engine):
        problems.append("migrations")
    if not shared.broker(request).ready():
        problems.append("broker")
    if problems:
        return JSONResponse({"status": "error", "problems": problems}, status_code=503)
    return JSONResponse({"status": "ok"})


routes = [
    Route("/healthz", healthz, name="healthz"),
    Route("/readyz", readyz, name="readyz"),
]
