"""The front page and the health check."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app import db, state
from app.auth.signedout import why
from app.web import render


async def home(request: Request) -> Response:
    """The front page; after a session ended it says why, next to the sign-in link."""
    return render(request, "home/index.html", {"signed_out": why(request)})


def healthz(request: Request) -> Response:
    ok = db.ping(state.engine(request))
    return JSONResponse({"status": "ok" if ok else "error"}, status_code=200 if ok else 503)


routes = [
    Route("/", home, name="home"),
    Route("/healthz", healthz, name="healthz"),
]
