"""Browser test harness (docs/design.md §8): the real app under uvicorn, driven by Playwright on
Chromium.

Fixtures, all reusable by any test under ``tests/browser/``:

* ``cdn`` (session) — a plain static server on 127.0.0.1 standing in for the htmx CDN and for the
  neutral exit site. It serves ``htmx.min.js`` (checked against the pinned SRI hash), ``exit.html``
  ("Vejret") and ``before.html`` (a page to be on *before* Tryg, for history tests), with
  ``Access-Control-Allow-Origin: *`` because the htmx tag uses ``integrity`` + ``crossorigin``.
* ``live_server_factory`` (session) — ``live_server_factory(**settings_overrides) -> LiveServer``
  starts another app (own SQLite file, own port); stopped at session end or by ``.stop()``.
* ``live_server`` (module) — one app per test module with the default test settings.
* ``browser`` (session) — Debian's Chromium, headless, launched once.
* ``new_page`` (function) — ``new_page(viewport=PHONE, locale="da-DK", **context_kwargs) -> Page``,
  a fresh context per call, closed after the test; every page it makes records into ``browser_log``.
* ``page`` / ``desktop_page`` (function) — ``new_page()`` at 390x844 / 1280x800.
* ``browser_log`` (function) — console messages, uncaught page errors and failed requests of the
  pages made by ``new_page`` in this test (``.errors()``, ``.csp_violations()``).
* ``axe`` (function) — ``axe(url, **kwargs)``: :func:`assert_no_axe_violations` bound to
  ``browser``.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import http.server
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from app import crypto, db
from app.main import create_app
from app.settings import DEFAULT_HTMX_SRI, DEFAULT_HTMX_SSE_SRI, HTMX_SSE_PATH, Settings

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HTMX_FILE = ROOT / "static" / "vendor" / "htmx.min.js"
HTMX_SSE_FILE = ROOT / "static" / "vendor" / HTMX_SSE_PATH
AXE_FILE = ROOT / "tests" / "vendor" / "axe.min.js"

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

SERVER_START_TIMEOUT_S = 20.0

EXIT_HTML = """<!doctype html>
<html lang="da"><head><meta charset="utf-8"><title>Vejret</title></head>
<body><h1>Vejret</h1><p>Let skyet, 7 grader.</p></body></html>
"""
BEFORE_HTML = """<!doctype html>
<html lang="da"><head><meta charset="utf-8"><title>Nyheder</title></head>
<body><h1>Nyheder</h1><p>En helt almindelig side.</p></body></html>
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


# --- the "CDN" and the neutral exit site ------------------------------------------------------


def sri_sha384(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


class _CdnHandler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass(frozen=True)
class Cdn:
    url: str  # http://127.0.0.1:PORT (no trailing slash)
    directory: Path
    htmx_url: str
    htmx_sri: str
    exit_url: str  # the neutral "Vejret" page quick exit goes to
    before_url: str  # a neutral page to visit before Tryg in history tests


@pytest.fixture(scope="session")
def cdn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cdn]:
    if not HTMX_FILE.is_file():
        pytest.fail(f"{HTMX_FILE} is missing: run `make vendor` first", pytrace=False)
    htmx = HTMX_FILE.read_bytes()
    actual = sri_sha384(htmx)
    if actual != DEFAULT_HTMX_SRI:
        pytest.fail(
            f"{HTMX_FILE} does not match the pinned htmx hash in app.settings "
            f"(DEFAULT_HTMX_SRI={DEFAULT_HTMX_SRI}, file={actual}): "
            "delete it and run `make vendor` again",
            pytrace=False,
        )
    if (
        not HTMX_SSE_FILE.is_file()
        or sri_sha384(HTMX_SSE_FILE.read_bytes()) != DEFAULT_HTMX_SSE_SRI
    ):
        pytest.fail(
            f"{HTMX_SSE_FILE} is missing or does not match DEFAULT_HTMX_SSE_SRI: "
            "delete static/vendor and run `make vendor` again",
            pytrace=False,
        )
    directory = tmp_path_factory.mktemp("cdn")
    shutil.copyfile(HTMX_FILE, directory / "htmx.min.js")
    (directory / "ext").mkdir()
    shutil.copyfile(HTMX_SSE_FILE, directory / HTMX_SSE_PATH)
    (directory / "exit.html").write_text(EXIT_HTML, encoding="utf-8")
    (directory / "before.html").write_text(BEFORE_HTML, encoding="utf-8")

    handler = functools.partial(_CdnHandler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="cdn", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield Cdn(
            url=url,
            directory=directory,
            htmx_url=f"{url}/htmx.min.js",
            htmx_sri=DEFAULT_HTMX_SRI,
            exit_url=f"{url}/exit.html",
            before_url=f"{url}/before.html",
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


# --- the app under uvicorn ---------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str  # http://localhost:PORT (localhost, not 127.0.0.1: WebAuthn rejects IP RP IDs)
    settings: Settings
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        if not self.thread.is_alive():
            return
        self.server.should_exit = True
        self.thread.join(timeout=10)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(timeout=5)


def _bind_loopback() -> socket.socket:
    """A listening socket on a free port, handed to uvicorn: no race for the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def start_live_server(settings_for_port: Callable[[int], Settings]) -> LiveServer:
    sock = _bind_loopback()
    port = sock.getsockname()[1]
    settings = settings_for_port(port)
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive():
            sock.close()
            pytest.fail("the app server stopped while starting (see the log above)")
        if time.monotonic() > deadline:
            server.should_exit = True
            thread.join(timeout=5)
            sock.close()
            pytest.fail(f"the app server did not start within {SERVER_START_TIMEOUT_S} s")
        time.sleep(0.02)
    return LiveServer(
        url=f"http://localhost:{port}", settings=settings, server=server, thread=thread
    )


LiveServerFactory = Callable[..., LiveServer]


@pytest.fixture(scope="session")
def live_server_factory(
    cdn: Cdn, tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path
) -> Iterator[LiveServerFactory]:
    """``live_server_factory(**overrides)``: start the app with test settings plus ``overrides``.

    The defaults: a fresh SQLite file (a copy of the run's migrated template, so the app's
    migrate-on-start finds nothing to do), ``origin=http://localhost:PORT``, ``rp_id="localhost"``,
    htmx from the ``cdn`` fixture, quick exit to the CDN's ``exit.html``. An override may be a
    callable taking the port (e.g. ``origin=lambda port: f"http://127.0.0.1:{port}"``).
    """
    started: list[LiveServer] = []

    def factory(**overrides: Any) -> LiveServer:
        db_dir = tmp_path_factory.mktemp("db")
        if "database_url" not in overrides:
            shutil.copyfile(migrated_sqlite, db_dir / "tryg.db")

        def settings_for_port(port: int) -> Settings:
            base = Settings(
                database_url=f"sqlite:///{db_dir / 'tryg.db'}",
                origin=f"http://localhost:{port}",
                rp_id="localhost",
                exit_url=cdn.exit_url,
                htmx_url=cdn.htmx_url,
                htmx_sri=cdn.htmx_sri,
                log_level="WARNING",
            )
            resolved = {k: (v(port) if callable(v) else v) for k, v in overrides.items()}
            return dataclasses.replace(base, **resolved)

        live = start_live_server(settings_for_port)
        started.append(live)
        return live

    yield factory
    for live in reversed(started):
        live.stop()


@pytest.fixture(scope="module")
def live_server(live_server_factory: LiveServerFactory) -> Iterator[LiveServer]:
    live = live_server_factory()
    yield live
    live.stop()


# --- Chromium -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: browser tests need Debian's Chromium "
            "(apt-get install chromium; .ci/run does this)",
            pytrace=False,
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class LogEntry:
    kind: str  # console type ("error", "warning", "log" …), or "pageerror" / "requestfailed"
    text: str
    url: str  # the page the message came from (console location, or the failed request)


@dataclass
class BrowserLog:
    entries: list[LogEntry] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.entries.append(LogEntry("pageerror", str(exc), "")))
        page.on(
            "requestfailed",
            lambda req: self.entries.append(
                LogEntry("requestfailed", f"{req.failure} {req.url}", req.url)
            ),
        )

    def _console(self, msg: ConsoleMessage) -> None:
        location = msg.location or {}
        self.entries.append(LogEntry(msg.type, msg.text, location.get("url", "")))

    def errors(self) -> list[LogEntry]:
        """Console errors and uncaught exceptions."""
        return [e for e in self.entries if e.kind in ("error", "pageerror")]

    def csp_violations(self) -> list[LogEntry]:
        return [e for e in self.entries if "Content Security Policy" in e.text]

    def clear(self) -> None:
        self.entries.clear()

    def __str__(self) -> str:
        return "\n".join(f"[{e.kind}] {e.text} ({e.url})" for e in self.entries) or "(empty)"


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


NewPage = Callable[..., Page]


@pytest.fixture
def new_page(browser: Browser, browser_log: BrowserLog) -> Iterator[NewPage]:
    """``new_page(viewport=PHONE, locale="da-DK", **context_kwargs)``: a page in a new context."""
    contexts: list[BrowserContext] = []

    def make(
        viewport: dict[str, int] | None = None, locale: str = "da-DK", **context_kwargs: Any
    ) -> Page:
        context = browser.new_context(viewport=viewport or PHONE, locale=locale, **context_kwargs)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        browser_log.attach(page)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: NewPage) -> Page:
    return new_page()


@pytest.fixture
def desktop_page(new_page: NewPage) -> Page:
    return new_page(viewport=DESKTOP)


# --- axe-core ---------------------------------------------------------------------------------


def _format_violations(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"axe-core found {len(violations)} violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v['help']} — {v.get('helpUrl', '')}")
        for node in v.get("nodes", []):
            lines.append(f"    target {node.get('target')}: {node.get('html', '')[:200]}")
            summary = node.get("failureSummary")
            if summary:
                lines.extend("      " + s for s in summary.splitlines())
    return "\n".join(lines)


def assert_no_axe_violations(
    browser: Browser,
    url: str,
    *,
    viewport: dict[str, int] | None = None,
    locale: str = "da-DK",
    color_scheme: str = "light",
    expect_lang: str | None = None,
    setup: Callable[[Page], None] | None = None,
    options: dict[str, Any] | None = None,
    context_kwargs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Open ``url`` in a fresh context (``bypass_csp=True`` so axe can be injected), run
    ``axe.run()`` and fail listing every violation. ``setup(page)`` may act on the page first
    (sign in, open a dialog …). Returns axe's results."""
    if not AXE_FILE.is_file():
        pytest.fail(f"{AXE_FILE} is missing: run `make vendor` first", pytrace=False)
    context = browser.new_context(
        viewport=viewport or PHONE,
        locale=locale,
        color_scheme=color_scheme,  # type: ignore[arg-type]
        bypass_csp=True,
        **(context_kwargs or {}),
    )
    try:
        page = context.new_page()
        page.goto(url, wait_until="load")
        if expect_lang is not None:
            lang = page.evaluate("document.documentElement.lang")
            assert lang == expect_lang, f"{url}: expected lang={expect_lang!r}, got {lang!r}"
        if setup is not None:
            setup(page)
        page.add_script_tag(path=str(AXE_FILE))
        results: dict[str, Any] = page.evaluate(
            "options => axe.run(document, options)", options or {}
        )
    finally:
        context.close()
    violations = results.get("violations", [])
    assert not violations, _format_violations(url, violations)
    return results


@pytest.fixture
def axe(browser: Browser) -> Callable[..., dict[str, Any]]:
    """``axe(url, **kwargs)``: :func:`assert_no_axe_violations` with the session browser."""
    return functools.partial(assert_no_axe_violations, browser)


def server_engine(live: LiveServer) -> Iterator[Any]:
    """A live server's database (its data key configured), for a module fixture to yield from."""
    crypto.configure(crypto.Cipher.from_settings(live.settings))
    engine = db.make_engine(live.settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def engine(live_server: LiveServer) -> Iterator[Any]:
    """The live server's database, for creating people and reading what a test saved."""
    yield from server_engine(live_server)
