"""Static files under content-hashed URLs, cached for a year; anything else revalidated.

``static_url("css/tryg.css")`` is ``/static/css/tryg.css?v=<hash of the bytes>``: a changed file
gets a new URL, so a browser may keep each URL forever. :class:`CachedStatic` serves the files
(Starlette's ``StaticFiles``) with ``immutable`` caching when the ``v`` asked for is the file's
current hash, and ``no-cache`` otherwise (an unhashed or outdated URL must not pin old bytes).
Templates, the web manifest and the service worker's precache list all use ``static_url``, so
the worker stores exactly the URLs the pages ask for.
"""

from __future__ import annotations

import functools
import hashlib
import stat
from pathlib import Path

from starlette.datastructures import MutableHeaders, QueryParams
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from app import resources

PREFIX = "/static/"
VERSION_PARAM = "v"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


@functools.lru_cache(maxsize=256)
def _digest(path: Path, mtime_ns: int, size: int) -> str:
    """Keyed by modification time and size as well, so an edited file gets a new hash."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


@functools.lru_cache(maxsize=512)
def _inside(root: Path, name: str) -> Path | None:
    """``root/name`` if it stays inside ``root`` (resolved once per name: a page asks often)."""
    path = (root / name).resolve()
    return path if path.is_relative_to(root.resolve()) else None


def digest(name: str, root: Path = resources.STATIC) -> str | None:
    """The content hash of ``static/<name>``, or None if there is no such file."""
    path = _inside(root, name)
    if path is None:
        return None
    try:
        found = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(found.st_mode):
        return None
    return _digest(path, found.st_mtime_ns, found.st_size)


def static_url(name: str) -> str:
    """The hashed URL of a static file: ``css/tryg.css`` or ``/static/css/tryg.css`` in.

    Any other URL (htmx from a CDN) comes back unchanged, and so does a missing file.
    """
    if "://" in name or (name.startswith("/") and not name.startswith(PREFIX)):
        return name
    relative = name.removeprefix(PREFIX)
    version = digest(relative)
    if version is None:
        return PREFIX + relative
    return f"{PREFIX}{relative}?{VERSION_PARAM}={version}"


class CachedStatic:
    """``StaticFiles`` with the cache lifetime a hashed URL allows (mounted at ``/static``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.files = StaticFiles(directory=directory)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        asked = QueryParams(scope.get("query_string", b"")).get(VERSION_PARAM)
        path: str = scope["path"]  # the full path: a Mount keeps it and sets root_path
        name = path[len(PREFIX) :] if path.startswith(PREFIX) else path.lstrip("/")
        current = digest(name, self.directory) if asked else None
        policy = IMMUTABLE if asked is not None and asked == current else REVALIDATE

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                MutableHeaders(scope=message)["Cache-Control"] = policy
            await send(message)

        await self.files(scope, receive, send_with_policy)
