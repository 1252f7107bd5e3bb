"""The wheel from ``pip install .`` is the whole app: built from a clean copy of the source,
installed into a fresh venv that cannot see the checkout, it migrates, loads the demo, serves
a Danish page, a static file and the service worker, and refuses to start without its catalog.

Run alone with ``pytest -m package`` (about 30 s: one wheel build, one venv, one server).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

import pytest

pytestmark = pytest.mark.package

ROOT = Path(__file__).resolve().parents[2]
# What a fresh clone does not have: git-ignored build products, downloads and local state.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".*", "__pycache__", "*.pyc", "*.mo", "*.egg-info", "build", "dist", "node_modules",
    "vendor", "tryg.db*", "bench-results",
)  # fmt: skip
SERVER_START_TIMEOUT_S = 60.0
COMMAND_TIMEOUT_S = 300


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str, **headers: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read()


def can_build_wheels() -> bool:
    """setuptools builds wheels itself from 70.1; before that it needs the ``wheel`` package."""
    major, minor = (int(part) for part in version("setuptools").split(".")[:2])
    return (major, minor) >= (70, 1) or find_spec("wheel") is not None


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """(the venv's python, an environment for it) with the wheel installed and nothing else of
    this checkout in sight."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "src"
    shutil.copytree(ROOT, source, ignore=NOT_IN_A_CLONE)
    assert not list((source / "locale").rglob("*.mo")), "the copy must be like a clean clone"

    # No build isolation: the build uses this environment's setuptools and babel (no index).
    if not can_build_wheels():
        pytest.fail("building a wheel here needs setuptools>=70.1 (`make install-test`)")
    dist = base / "dist"
    run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
        "--no-index", "--quiet", "-w", dist, source, cwd=base,
    )  # fmt: skip
    wheel = next(dist.glob("tryg-*.whl"))

    venv = base / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=base)
    python = venv / "bin" / "python"
    run(
        sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
        "--quiet", wheel, cwd=base,
    )  # fmt: skip
    # Like --system-site-packages, but for this environment's dependencies: their folders go
    # on the venv's path *after* its own site-packages. A plain path line does not run the
    # .pth files inside it, so an editable install of the checkout stays out of sight.
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                    cwd=base).strip())  # fmt: skip
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "tryg_test_dependencies.pth").write_text("\n".join(sorted(deps)) + "\n")

    run_dir = base / "elsewhere"
    run_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRYG_", "PYTHON"))}
    env["TRYG_DATABASE_URL"] = f"sqlite:///{base / 'wheel.db'}"
    yield python, env
    shutil.rmtree(base, ignore_errors=True)


def test_the_installed_app_is_the_wheel_not_the_checkout(installed):
    python, env = installed
    where = run(
        python, "-c", "import app.resources as r; print(r.PACKAGE_DIR); print(r.DATA_ROOT)",
        cwd=python.parents[2] / "elsewhere", env=env,
    ).split()  # fmt: skip
    venv = python.parents[1]
    assert all(Path(p).is_relative_to(venv) for p in where), where
    assert not any(Path(p).is_relative_to(ROOT) for p in where), where


def test_migrate_demo_and_serve_from_the_wheel(installed):
    python, env = installed
    elsewhere = python.parents[2] / "elsewhere"
    assert "Databasen er opdateret" in run(python, "-m", "app", "migrate", cwd=elsewhere, env=env)
    assert "Demodata" in run(python, "-m", "app", "demo", cwd=elsewhere, env=env)

    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(python), "-m", "app", "serve", "--port", str(port)],
        cwd=elsewhere,
        env={**env, "TRYG_ORIGIN": origin},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            try:
                status, body = fetch(f"{origin}/login", **{"Accept-Language": "da"})
                break
            except (urllib.error.URLError, ConnectionError):
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    pytest.fail(f"the server did not start:\n{server.communicate()[0]}")
                time.sleep(0.2)  # waiting for the port to open, not synchronising a test step
        assert status == 200
        assert "Log ind" in body.decode()

        status, css = fetch(f"{origin}/static/css/tryg.css")
        assert status == 200 and css == (ROOT / "static" / "css" / "tryg.css").read_bytes()

        status, worker = fetch(f"{origin}/sw.js")
        assert status == 200
        assert b"__VERSION__" not in worker and b"/static/css/tryg.css" in worker
        assert b'"/info/politiet"' in worker  # the open pages' Markdown is in the wheel

        status, info = fetch(f"{origin}/info/politiet")
        assert status == 200 and "straffelovens § 242" in info.decode()
    finally:
        server.terminate()
        server.communicate(timeout=30)


def test_without_its_catalog_the_app_refuses_to_start_and_says_why(installed):
    python, env = installed
    elsewhere = python.parents[2] / "elsewhere"
    catalog = Path(
        run(python, "-c", "from app import i18n; print(i18n.catalog_path('da'))",
            cwd=elsewhere, env=env).strip()
    )  # fmt: skip
    assert catalog.is_file(), "the wheel carries the compiled Danish catalog"
    catalog.rename(catalog.with_suffix(".moved"))
    try:
        done = subprocess.run(
            [str(python), "-m", "app", "serve", "--port", str(free_port())],
            cwd=elsewhere, env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S,
        )  # fmt: skip
    finally:
        catalog.with_suffix(".moved").rename(catalog)
    assert done.returncode != 0
    assert str(catalog) in done.stderr and "pybabel compile" in done.stderr
