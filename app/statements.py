"""The accessibility statement and the privacy notice (issue 15 point 1), in Danish and English.

Public and the same for everyone: no sign-in, nothing personal, no form (so no CSRF token), the
language in the address — so the service worker can keep them for offline reading. Linked from
every page's footer, in the page's language.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.web import render

# (address, template, language, the same page in the other language)
PAGES = (
    ("/tilgaengelighed", "statements/accessibility.da.html", "da", "/en/accessibility"),
    ("/en/accessibility", "statements/accessibility.en.html", "en", "/tilgaengelighed"),
    ("/privatliv", "statements/privacy.da.html", "da", "/en/privacy"),
    ("/en/privacy", "statements/privacy.en.html", "en", "/privatliv"),
)


def page(template: str, language: str, twin: str) -> Callable[[Request], Response]:
    def endpoint(request: Request) -> Response:
        request.state.locale = language
        response = render(request, template, {"twin": twin})
        response.headers["Cache-Control"] = "no-cache"  # the worker's copy is checked when online
        return response

    return endpoint


routes = [Route(path, page(template, language, twin)) for path, template, language, twin in PAGES]
