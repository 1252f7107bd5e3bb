"""HTTP load generators: ``wrk`` when it is on PATH, otherwise a small asyncio one.

Both only ever target 127.0.0.1 and both are bounded in time (and the Python one in count).
"""

from __future__ import annotations

import asyncio
import ctypes
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

LOOPBACK = "127.0.0.1"
# Upper bound on recorded requests per run of the Python generator (memory and loop bound).
MAX_REQUESTS = 5_000_000
# Slack on top of the requested duration before a run is abandoned.
GRACE_S = 15.0
PR_SET_PDEATHSIG = 1
# A broken, closed or unreadable response: counted as an error, then the connection is redone.
READ_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError)


@dataclass(frozen=True)
class LoadResult:
    """One measured run against one URL."""

    generator: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors and timeouts
    non_2xx: int


class LoadError(RuntimeError):
    pass


def loopback_only(url: str) -> tuple[str, int, str]:
    """(host, port, path) of ``url``, refusing anything but plain http on 127.0.0.1."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname != LOOPBACK or parts.port is None:
        raise LoadError(f"the load generator only targets http://{LOOPBACK}:<port>/, not {url!r}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.hostname, parts.port, path


def header_lines(headers: Mapping[str, str] | None) -> list[str]:
    """``Name: value`` lines for extra request headers (e.g. a session Cookie), checked so a
    value cannot smuggle a second header or request."""
    lines = []
    for name, value in (headers or {}).items():
        if not re.fullmatch(r"[A-Za-z0-9-]+", name) or any(c in value for c in "\r\n\0"):
            raise LoadError(f"refusing request header {name!r}")
        lines.append(f"{name}: {value}")
    return lines


def child_setup() -> Callable[[], None] | None:
    """``preexec_fn`` for every child process (Linux): SIGTERM if the bench itself is killed
    without running its cleanup, so no server or wrk outlives it."""
    if sys.platform != "linux":
        return None
    try:
        prctl = ctypes.CDLL(None).prctl  # resolved here, not between fork and exec
    except (OSError, AttributeError):
        return None

    def die_with_parent() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    return die_with_parent


# --- wrk ----------------------------------------------------------------------------------


def wrk_path() -> str | None:
    return shutil.which("wrk")


def install_wrk() -> str | None:
    """``apt-get install -y wrk`` (only called when TRYG_BENCH_INSTALL=1); wrk's path or None."""
    apt = shutil.which("apt-get")
    if apt is None:
        return None
    prefix: list[str] = []
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        sudo = shutil.which("sudo")
        if sudo is None:
            return None
        prefix = [sudo, "-n"]
    for cmd in ([apt, "install", "-y", "wrk"], [apt, "update"], [apt, "install", "-y", "wrk"]):
        try:
            subprocess.run(
                [*prefix, *cmd],
                check=False,
                timeout=180,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        if wrk_path():
            return wrk_path()
    return None


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise LoadError(f"cannot read wrk duration {text!r}")
    return float(match.group(1)) * _UNIT_MS[match.group(2)]


def parse_wrk(output: str) -> LoadResult:
    """Requests/sec, the 50% and 99% lines of ``--latency``, and the error counts."""

    def find(pattern: str) -> re.Match[str] | None:
        return re.search(pattern, output, re.MULTILINE)

    rps = find(r"^Requests/sec:\s+([\d.]+)")
    p50 = find(r"^\s+50%\s+(\S+)")
    p99 = find(r"^\s+99%\s+(\S+)")
    total = find(r"^\s+(\d+) requests in ([\d.]+)(us|ms|s|m)")
    if not (rps and p50 and p99 and total):
        raise LoadError("cannot parse wrk output:\n" + output)
    errors = find(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
    non_2xx = find(r"Non-2xx or 3xx responses: (\d+)")
    return LoadResult(
        generator="wrk",
        requests=int(total.group(1)),
        seconds=_duration_ms(total.group(2) + total.group(3)) / 1000,
        rps=float(rps.group(1)),
        p50_ms=_duration_ms(p50.group(1)),
        p99_ms=_duration_ms(p99.group(1)),
        errors=sum(int(g) for g in errors.groups()) if errors else 0,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


def run_wrk(
    url: str,
    seconds: int,
    connections: int,
    headers: Mapping[str, str] | None = None,
    threads: int = 2,
) -> LoadResult:
    loopback_only(url)
    wrk = wrk_path()
    if wrk is None:
        raise LoadError("wrk is not on PATH")
    threads = max(1, min(threads, connections))
    cmd = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for line in header_lines(headers):
        cmd += ["-H", line]
    cmd.append(url)
    try:
        done = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=seconds + GRACE_S,
            check=False,
            preexec_fn=child_setup(),
        )
    except subprocess.TimeoutExpired as exc:
        raise LoadError(f"wrk did not finish within {seconds + GRACE_S:.0f}s") from exc
    if done.returncode != 0:
        raise LoadError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


# --- the asyncio fallback -----------------------------------------------------------------


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (0.0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(len(sorted_values) * pct / 100))
    return sorted_values[min(rank, len(sorted_values)) - 1]


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response; (status, keep-alive)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length: int | None = None
    chunked = False
    keep_alive = True
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        value = value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif name == "connection" and value == "close":
            keep_alive = False
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)  # the chunk and its CRLF
            if size == 0:
                break
    elif length is not None:
        await reader.readexactly(length)
    else:  # body runs to the end of the connection
        await reader.read()
        keep_alive = False
    return status, keep_alive


async def _python_load(
    host: str,
    port: int,
    path: str,
    seconds: float,
    connections: int,
    headers: Mapping[str, str] | None = None,
) -> tuple[list[float], int, int, float]:
    extra = "".join(line + "\r\n" for line in header_lines(headers))
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: tryg-bench\r\n"
        f"Accept: */*\r\n{extra}\r\n"
    ).encode("ascii")
    latencies: list[float] = []
    counts = {"errors": 0, "non_2xx": 0}
    clock = time.perf_counter
    start = clock()
    deadline = start + seconds

    async def connection() -> None:
        writer: asyncio.StreamWriter | None = None
        try:
            while clock() < deadline and len(latencies) < MAX_REQUESTS:
                if writer is None:
                    try:
                        reader, writer = await asyncio.open_connection(host, port)
                    except OSError:
                        counts["errors"] += 1
                        await asyncio.sleep(0.05)
                        continue
                t0 = clock()
                try:
                    writer.write(request)
                    status, keep_alive = await _read_response(reader)
                except READ_ERRORS:
                    counts["errors"] += 1
                    writer.close()
                    writer = None
                    continue
                latencies.append(clock() - t0)
                if not 200 <= status < 400:
                    counts["non_2xx"] += 1
                if not keep_alive:
                    writer.close()
                    writer = None
        finally:
            if writer is not None:
                writer.close()

    tasks = [asyncio.ensure_future(connection()) for _ in range(connections)]
    try:
        done, stuck = await asyncio.wait(tasks, timeout=seconds + GRACE_S)
        counts["errors"] += len(stuck)
        for task in done:  # a bug in the generator must not pass as a quiet, fast run
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = clock() - start
    return latencies, counts["errors"], counts["non_2xx"], elapsed


def _loop_factory() -> tuple[str, Callable[[], asyncio.AbstractEventLoop]]:
    try:
        import uvloop
    except ImportError:
        return "asyncio", asyncio.new_event_loop
    return "uvloop", uvloop.new_event_loop


def python_generator_name() -> str:
    return f"python-{_loop_factory()[0]}"


def run_python(
    url: str, seconds: float, connections: int, headers: Mapping[str, str] | None = None
) -> LoadResult:
    host, port, path = loopback_only(url)
    name, factory = _loop_factory()
    with asyncio.Runner(loop_factory=factory) as runner:
        latencies, errors, non_2xx, elapsed = runner.run(
            _python_load(host, port, path, seconds, connections, headers)
        )
    latencies.sort()
    return LoadResult(
        generator=f"python-{name}",
        requests=len(latencies),
        seconds=elapsed,
        rps=len(latencies) / elapsed if elapsed > 0 else 0.0,
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        errors=errors,
        non_2xx=non_2xx,
    )


# --- choosing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Generator:
    """A chosen load generator: ``run(url, seconds, connections, headers=None)``."""

    name: str
    run: Callable[..., LoadResult]
    note: str = ""


def choose_generator(preference: str = "auto", allow_install: bool = False) -> Generator:
    """wrk when available (or installable with ``allow_install``), else the asyncio one."""
    if preference not in {"auto", "wrk", "python"}:
        raise LoadError(f"TRYG_BENCH_GENERATOR must be auto, wrk or python, not {preference!r}")
    if preference != "python":
        note = ""
        if wrk_path() is None and allow_install:
            note = "installed with apt-get" if install_wrk() else "apt-get install wrk failed"
        if wrk_path() is not None:
            return Generator("wrk -t2", run_wrk, note)
        if preference == "wrk":
            raise LoadError("TRYG_BENCH_GENERATOR=wrk but wrk is not on PATH")
        note = note or "wrk not on PATH; TRYG_BENCH_INSTALL=1 allows apt-get install wrk"
        return Generator(python_generator_name(), run_python, note)
    return Generator(python_generator_name(), run_python, "chosen by TRYG_BENCH_GENERATOR")
