"""Foundation: ``/healthz`` and the home page next to a bare Starlette "hello" (the floor)."""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from pathlib import Path

from tests.bench.harness import Config, SectionResult, Target, run_http_section
from tests.bench.load import Generator
from tests.bench.servers import UvicornServer

HTMX_URL = "/static/vendor/htmx.min.js"


def tryg_env(db_path: Path, port: int) -> dict[str, str]:
    """Development settings on a fresh SQLite file; app logging at WARNING like uvicorn's."""
    return {
        "TRYG_DATABASE_URL": f"sqlite:///{db_path}",
        "TRYG_HTMX_URL": HTMX_URL,
        "TRYG_ORIGIN": f"http://127.0.0.1:{port}",
        "TRYG_LOG_LEVEL": "WARNING",
    }


def tryg_server(stack: ExitStack, label: str = "tryg") -> UvicornServer:
    """Tryg on a fresh temporary SQLite database, ready once ``/healthz`` answers 200
    (migrations run in the lifespan). Closed with ``stack``."""
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tryg-bench-")))
    server = UvicornServer(label, "app.main:app", ready_path="/healthz")
    server.env.update(tryg_env(tmp / "tryg.db", server.port))
    return stack.enter_context(server)


def floor_server(stack: ExitStack) -> UvicornServer:
    return stack.enter_context(UvicornServer("floor", "tests.bench.floor_app:app"))


def run(config: Config, generator: Generator) -> SectionResult:
    with ExitStack() as stack:
        floor = floor_server(stack)
        tryg = tryg_server(stack)
        targets = [
            Target("floor: Starlette hello", floor.url("/"), floor=True, cpu=floor.cpu_seconds),
            Target("tryg: GET /healthz", tryg.url("/healthz"), cpu=tryg.cpu_seconds),
            Target("tryg: GET / (home)", tryg.url("/"), cpu=tryg.cpu_seconds),
        ]
        section = run_http_section(
            "foundation", "Foundation: Tryg next to the framework floor", targets, config, generator
        )
    section.notes.append(
        "home is a first visit (no cookies): each request also mints a CSRF token and cookie"
    )
    return section
