"""The front page (the health routes are in app/ops/health.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.auth.signedout import why
from app.web import render


async def home(request: Request) -> Response:
    """The front page; after a session ended it says why, next to the sign-in link."""
    return render(request, "home/index.html", {"signed_out": why(request)})


routes = [
    Route("/", home, name="home"),
]
