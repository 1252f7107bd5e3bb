"""Quick exit: the page that explains the button honestly before the victim relies on it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.web import render


async def about(request: Request) -> Response:
    # htmx swaps just the explanation into the page that asked for it.
    return render(request, "exit/about.html", block="explanation")


routes = [Route("/quick-exit", about, name="exit_about")]
