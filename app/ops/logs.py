"""Log lines as JSON, one per request, with ids only (issue 19 point 5).

Every line is one JSON object: ``time`` (UTC), ``level``, ``logger``, ``message`` and the
fields a caller adds. A request's line (logger ``tryg.request``) has its ``request_id`` (the
``X-Request-Id`` answered), the ``route`` *name* (never the path: it may hold a code), ``method``,
``status``, ``duration_ms`` and ``user``, a keyed hash of the user id (so one person's requests
can be followed without the log saying who she is). No path, query, address, user agent, form
field or exception message is ever written: an exception logs its type and line only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_LOG = logging.getLogger("tryg.request")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info and record.exc_info[0] is not None:
            line["exc_type"] = record.exc_info[0].__name__
            tb = record.exc_info[2]
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            if tb is not None:
                line["exc_at"] = f"{Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: str) -> None:
    """JSON lines on stderr for every logger (uvicorn's too, when it leaves logging to us)."""
    root = logging.getLogger()
    root.setLevel(level)
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)


def user_hash(secret: str, user_id: int) -> str:
    return hmac.new(secret.encode(), f"log-user:{user_id}".encode(), hashlib.sha256).hexdigest()[
        :16
    ]


class RequestLog:
    """One line per HTTP request, written when the answer is complete (a live stream: when it
    ends). Sits inside the security headers (which give the request its id)."""

    def __init__(self, app: ASGIApp, secret: str) -> None:
        self.app = app
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if nothing is ever sent

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            REQUEST_LOG.info("request", extra={"fields": self._fields(scope, status, started)})

    def _fields(self, scope: Scope, status: int, started: float) -> dict[str, Any]:
        state = scope.get("state", {})
        route = scope.get("route")
        user = state.get("user")
        return {
            "request_id": state.get("request_id", "-"),
            "route": getattr(route, "name", None) or "-",
            "method": scope["method"],
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "user": user_hash(self.secret, user.id) if user is not None else None,
        }
