"""Servers under test: one uvicorn worker per app, in a subprocess, on a free loopback port.

Every app is served the same way (same interpreter, same flags, default ``--loop``), so the
difference between Tryg and the floor is the application and nothing else.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from tests.bench.load import LOOPBACK, child_setup

REPO_ROOT = Path(__file__).resolve().parents[2]
UVICORN_FLAGS = ("--log-level", "warning", "--no-access-log")
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def http_get(port: int, path: str, timeout: float = 2.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"User-Agent": "tryg-bench"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class ServerError(RuntimeError):
    pass


class UvicornServer:
    """``with UvicornServer("pkg.module:app", ready_path="/healthz") as server: ...``

    The child's environment has every ``TRYG_*`` variable removed and ``env`` added, so a
    developer's shell (e.g. ``TRYG_ENV=production``) cannot change what is measured.
    """

    def __init__(
        self, label: str, app: str, ready_path: str = "/", env: Mapping[str, str] | None = None
    ):
        self.label = label
        self.app = app
        self.ready_path = ready_path
        self.port = free_port()
        self.env = dict(env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self) -> UvicornServer:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRYG_")}
        env.update(self.env)
        env["PYTHONUNBUFFERED"] = "1"
        cmd = [sys.executable, "-m", "uvicorn", self.app, "--host", LOOPBACK]
        cmd += ["--port", str(self.port), "--workers", "1", *UVICORN_FLAGS]
        self.proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=child_setup(),
        )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"{self.label} exited ({self.proc.returncode}):\n{self.log()}")
            try:
                status, _ = http_get(self.port, self.ready_path, timeout=1.0)
            except OSError as exc:
                last = str(exc)
            else:
                if status == 200:
                    return
                last = f"HTTP {status}"
            time.sleep(0.1)
        raise ServerError(
            f"{self.label} not ready on {self.ready_path} within {START_TIMEOUT_S:.0f}s "
            f"({last}):\n{self.log()}"
        )

    def cpu_seconds(self) -> float | None:
        """User + system CPU time the server has used so far (Linux /proc; else None)."""
        if self.proc is None:
            return None
        try:
            stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()
        utime, stime = int(fields[11]), int(fields[12])
        return (utime + stime) / os.sysconf("SC_CLK_TCK")

    def log(self, limit: int = 4000) -> str:
        try:
            self._log.seek(0)
            text = self._log.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""
        return text[-limit:]

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=STOP_TIMEOUT_S)
        self._log.close()

    def __enter__(self) -> UvicornServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
