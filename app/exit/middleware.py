"""One history entry for form posts (docs/design.md §5): the server half of static/js/history.js.

A browser adds a history entry for every form it submits, and no script can turn that into a
replace. So history.js sends a form with ``fetch`` and the header ``X-Tryg-Replace``; a fetch
would follow a redirect by itself (and the page's GET would run twice), so for such a request a
redirect becomes ``204`` with the target in ``X-Tryg-Location``, which history.js opens with
``location.replace``. Every other response, and every request without the header, is untouched.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_HEADER = "x-tryg-replace"
LOCATION_HEADER = "X-Tryg-Location"
REDIRECTS = frozenset({301, 302, 303, 307, 308})


class RedirectsForReplace:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or REQUEST_HEADER not in Headers(scope=scope):
            await self.app(scope, receive, send)
            return
        converted = False

        async def send_converted(message: Message) -> None:
            nonlocal converted
            if message["type"] == "http.response.start" and message["status"] in REDIRECTS:
                headers = MutableHeaders(scope=message)
                location = headers.get("location")
                if location is not None:
                    converted = True
                    del headers["location"]
                    headers[LOCATION_HEADER] = location
                    if "content-length" in headers:  # a 204 has no body to measure
                        del headers["content-length"]
                    message["status"] = 204
            elif message["type"] == "http.response.body" and converted:
                message["body"] = b""
            await send(message)

        await self.app(scope, receive, send_converted)
