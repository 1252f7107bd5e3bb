"""``/info`` and ``/en/info``: the open pages, public and the same for everyone (no sign-in, no
form, nothing personal), so the service worker keeps them for offline reading
(app/phone/worker.py), like the statements. The language is in the address."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.info.pages import InfoPage, all_pages, listed, twin
from app.web import render


def page(info: InfoPage) -> Callable[[Request], Response]:
    def endpoint(request: Request) -> Response:
        request.state.locale = info.language
        other = twin(info)
        context = {
            "page": info,
            "pages": listed(info.language),
            "twin": other.path if other else None,
        }
        response = render(request, "info/page.html", context)
        response.headers["Cache-Control"] = "no-cache"  # the worker's copy is checked when online
        return response

    return endpoint


routes = [Route(info.path, page(info)) for info in all_pages()]
