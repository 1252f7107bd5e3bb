"""What every section shares: the run's configuration, result tables, and HTTP measurement.

A section is a function ``run(config) -> SectionResult``. HTTP sections start their servers and
call :func:`run_http_section` with a list of :class:`Target`; other sections (hash cost, SSE
propagation, ...) build a :class:`SectionResult` with their own columns. The baseline of each
section is measured in the same run, and every row is shown next to it.
"""

from __future__ import annotations

import http.client
import os
import resource
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.bench.load import LOOPBACK, Generator, LoadResult, loopback_only
from tests.bench.servers import http_get

MAX_SECONDS = 120
MAX_CONNECTIONS = 1000


def _env_int(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be an integer, not {raw!r}") from exc
    if not low <= value <= high:
        raise SystemExit(f"{name} must be between {low} and {high}, not {value}")
    return value


@dataclass(frozen=True)
class Config:
    seconds: int = 5
    connections: int = 50
    warmup_seconds: int = 1
    generator_preference: str = "auto"
    allow_install: bool = False

    @classmethod
    def from_env(cls) -> Config:
        return cls(
            seconds=_env_int("TRYG_BENCH_SECONDS", 5, 1, MAX_SECONDS),
            connections=_env_int("TRYG_BENCH_CONNECTIONS", 50, 1, MAX_CONNECTIONS),
            warmup_seconds=_env_int("TRYG_BENCH_WARMUP", 1, 0, MAX_SECONDS),
            generator_preference=os.environ.get("TRYG_BENCH_GENERATOR", "auto").strip() or "auto",
            allow_install=os.environ.get("TRYG_BENCH_INSTALL", "") == "1",
        )


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    fmt: str = "{}"
    align: str = ">"


@dataclass
class SectionResult:
    """A titled table plus notes; ``rows`` are plain dicts so they go straight to JSON."""

    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def render(self) -> str:
        def cell(column: Column, row: dict[str, Any]) -> str:
            value = row.get(column.key)
            return "–" if value is None else column.fmt.format(value)

        table = [[c.title for c in self.columns]]
        table += [[cell(c, row) for c in self.columns] for row in self.rows]
        widths = [max(len(line[i]) for line in table) for i in range(len(self.columns))]
        aligns = [c.align for c in self.columns]

        def line(cells: list[str]) -> str:
            return " | ".join(f"{v:{a}{w}}" for v, a, w in zip(cells, aligns, widths, strict=True))

        rule = "-+-".join("-" * w for w in widths)
        out = [self.title, "=" * len(self.title), line(table[0]), rule]
        out += [line(r) for r in table[1:]]
        out += [f"  * {note}" for note in self.notes]
        return "\n".join(out)

    def to_json(self) -> dict[str, Any]:
        return {
            "section": self.name,
            "title": self.title,
            "rows": self.rows,
            "notes": self.notes,
            **self.extra,
        }


# --- HTTP sections ----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One URL to load. ``cpu`` returns the server's CPU seconds so far (or None); ``headers``
    go with every request (check, warm-up and measurement), e.g. a session Cookie;
    ``connections`` replaces the run's number for this target alone."""

    label: str
    url: str
    floor: bool = False
    cpu: Callable[[], float | None] = lambda: None
    headers: Mapping[str, str] = field(default_factory=dict)
    connections: int | None = None


HTTP_COLUMNS = [
    Column("endpoint", "endpoint", align="<"),
    Column("rps", "rps", "{:,.0f}"),
    Column("p50_ms", "p50 ms", "{:.2f}"),
    Column("p99_ms", "p99 ms", "{:.2f}"),
    Column("ratio", "ratio to floor", "{:.2f}"),
    Column("server_cpu_pct", "server cpu %", "{:.0f}"),
    Column("generator_cpu_pct", "generator cpu %", "{:.0f}"),
    Column("failed", "errors", "{:,}"),
]


def get_status(port: int, path: str, headers: Mapping[str, str]) -> int:
    # Generous: right after a load run the server may still be answering the last queued requests.
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=60.0)
    try:
        conn.request("GET", path, headers={"User-Agent": "tryg-bench", **headers})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _check_target(target: Target) -> None:
    """One plain GET first: a benchmark of an error page (or of a redirect to sign-in, for a
    target that needs a session cookie) is worse than none."""
    _, port, path = loopback_only(target.url)
    if target.headers:
        status = get_status(port, path, target.headers)
    else:
        status, _ = http_get(port, path)
    if status != 200:
        raise RuntimeError(f"{target.label}: GET {target.url} answered {status}, not 200")


def own_cpu_seconds() -> float:
    """CPU time of this process and its finished children (the Python generator, or wrk)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def measure(target: Target, config: Config, generator: Generator) -> dict[str, Any]:
    _check_target(target)
    # Only sections that set headers pass them, so a generator without the argument still works.
    extra = {"headers": dict(target.headers)} if target.headers else {}
    connections = target.connections or config.connections
    if config.warmup_seconds:
        generator.run(target.url, config.warmup_seconds, connections, **extra)
    cpu_before, gen_before, started = target.cpu(), own_cpu_seconds(), time.perf_counter()
    result: LoadResult = generator.run(target.url, config.seconds, connections, **extra)
    wall = time.perf_counter() - started
    cpu_after, gen_cpu = target.cpu(), own_cpu_seconds() - gen_before
    cpu_pct = None
    if cpu_before is not None and cpu_after is not None:
        cpu_pct = 100 * (cpu_after - cpu_before) / wall
    return {
        "endpoint": target.label,
        "url": target.url,
        "floor": target.floor,
        "connections": connections,
        "generator": result.generator,
        "requests": result.requests,
        "seconds": round(result.seconds, 3),
        "rps": round(result.rps, 1),
        "p50_ms": round(result.p50_ms, 3),
        "p99_ms": round(result.p99_ms, 3),
        "server_cpu_pct": None if cpu_pct is None else round(cpu_pct, 1),
        "generator_cpu_pct": round(100 * gen_cpu / wall, 1),
        "errors": result.errors,
        "non_2xx": result.non_2xx,
        "failed": result.errors + result.non_2xx,
    }


def run_http_section(
    name: str,
    title: str,
    targets: Sequence[Target],
    config: Config,
    generator: Generator,
) -> SectionResult:
    """Warm up and measure each target in turn; ratios are rps over the floor target's rps."""
    if sum(t.floor for t in targets) != 1:
        raise ValueError(f"section {name!r} needs exactly one floor target")
    rows = [measure(target, config, generator) for target in targets]
    floor_rps = next(row["rps"] for row in rows if row["floor"])
    for row in rows:
        row["ratio"] = round(row["rps"] / floor_rps, 3) if floor_rps else None
    section = SectionResult(name, title, HTTP_COLUMNS, rows)
    section.notes.append(
        f"{config.connections} keep-alive connections, {config.warmup_seconds}s warm-up, "
        f"{config.seconds}s measured per endpoint, one after another; generator {generator.name}"
    )
    section.notes.append(
        "ratio = rps / floor rps (1.00 = as fast as bare Starlette); "
        "server cpu % near 100 means the one uvicorn worker was the bottleneck; "
        "generator cpu % near 100 (Python) or 200 (wrk -t2) means the generator was"
    )
    if any(row["failed"] for row in rows):
        section.notes.append("some requests failed (errors column): treat those rows with care")
    section.extra["config"] = {
        "seconds": config.seconds,
        "connections": config.connections,
        "warmup_seconds": config.warmup_seconds,
        "generator": generator.name,
    }
    return section
