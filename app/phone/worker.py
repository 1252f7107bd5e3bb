"""The service worker's bytes: ``service_worker/sw.js`` with its version and precache list.

The version is a hash of the worker source, every precached file and the settings that shape
them (htmx URL and SRI, the log's sealing key, ``worker_version_salt``), so any change to what
the worker would serve changes the worker's bytes, and the browser installs a new worker that
waits for the page's "Ny version — genindlæs".
"""

from __future__ import annotations

import functools
import hashlib
import json

from app import assets, resources
from app.diary import offline
from app.info.pages import all_pages, content_files
from app.settings import Settings

SOURCE = resources.SERVICE_WORKER / "sw.js"
STATIC = resources.STATIC
TEMPLATES = resources.TEMPLATES

# Same-origin URLs the worker stores at install; the offline page is rendered by the app, and
# so are the public statements (the same for everyone, app/statements.py), readable offline.
OFFLINE_URL = "/offline"
PUBLIC_PAGES = ("/tilgaengelighed", "/en/accessibility", "/privatliv", "/en/privacy")
STATIC_FILES = (
    "css/tryg.css",
    "js/exit.js",
    "js/offline.js",
    "js/update.js",
)
# Templates the stored pages are made of: a change to them is a change to the worker.
OFFLINE_TEMPLATES = (
    "_meta.html",
    "phone/offline.html",
    "diary/_offline.html",
    "phone/_update.html",
    "exit/_button.html",
    "statements/_page.html",
    "statements/_links.html",
    "statements/accessibility.da.html",
    "statements/accessibility.en.html",
    "statements/privacy.da.html",
    "statements/privacy.en.html",
    "info/page.html",
)


def icon_files() -> list[str]:
    return sorted(f"icons/{p.name}" for p in (STATIC / "icons").glob("*.png"))


def precache_urls(settings: Settings) -> list[str]:
    """The offline page, the public statements and the hashed static URLs, exactly as the
    pages ask for them."""
    names = (*STATIC_FILES, *icon_files())
    info = [page.path for page in all_pages()]  # the open pages (app/info/)
    urls = [OFFLINE_URL, *PUBLIC_PAGES, *info] + [assets.static_url(name) for name in names]
    if not settings.htmx_origin:  # htmx served by this app (``make run`` with a local copy)
        urls.append(assets.static_url(settings.htmx_url))
    return urls


@functools.lru_cache(maxsize=8)
def worker_script(settings: Settings) -> tuple[str, str]:
    """(the script, its version) for these settings."""
    source = SOURCE.read_text(encoding="utf-8")
    digest = hashlib.sha256(source.encode())
    for name in (*STATIC_FILES, *icon_files()):
        digest.update(name.encode() + b"\0" + (STATIC / name).read_bytes())
    for name in OFFLINE_TEMPLATES:
        digest.update(name.encode() + b"\0" + (TEMPLATES / name).read_bytes())
    for file in content_files():
        digest.update(file.relative_to(resources.CONTENT).as_posix().encode() + b"\0")
        digest.update(file.read_bytes())
    digest.update(f"{settings.htmx_url}\0{settings.htmx_sri}\0".encode())
    # The offline page's log form carries the key it seals to: a new data key, a new worker.
    digest.update(json.dumps(offline.seal_key(settings)).encode())
    digest.update(settings.worker_version_salt.encode())
    version = digest.hexdigest()[:16]
    htmx = (
        {"url": settings.htmx_url, "integrity": settings.htmx_sri} if settings.htmx_origin else None
    )
    script = (
        source.replace('"__VERSION__"', json.dumps(version))
        .replace('"__PRECACHE__"', json.dumps(precache_urls(settings)))
        .replace('"__HTMX__"', json.dumps(htmx))
    )
    return script, version
