"""``python -m tests.bench [section ...]`` — run benchmark sections, print tables, write JSON.

Add a section by writing ``run(config, generator) -> SectionResult`` in a module here and
registering it in :data:`SECTIONS`; its results land in ``bench-results/<name>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from tests.bench import auth, caseload, diary, exit, foundation, lighthouse, live, phone, plans
from tests.bench.harness import Config, SectionResult
from tests.bench.load import Generator, choose_generator
from tests.bench.servers import REPO_ROOT

Section = Callable[[Config, Generator], SectionResult]

# Run in this order by ``make bench``.
SECTIONS: dict[str, Section] = {
    "foundation": foundation.run,
    "auth": auth.run,
    "plans": plans.run,
    "lighthouse": lighthouse.run,
    "live": live.run,
    "phone": phone.run,
    "exit": exit.run,
    "diary": diary.run,
    "caseload": caseload.run,
}

RESULTS_DIR = REPO_ROOT / "bench-results"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "-"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _uvicorn_loop() -> str:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def machine_info(generator: Generator) -> dict[str, Any]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "cpu_model": _cpu_model(),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else [],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "starlette": _version("starlette"),
        "uvicorn": _version("uvicorn"),
        "server_loop": _uvicorn_loop(),
        "generator": generator.name,
        "generator_note": generator.note,
    }


def header(info: dict[str, Any], config: Config) -> str:
    load = " ".join(str(x) for x in info["load_average"]) or "-"
    lines = [
        f"machine: {info['cpu_count']} cpus ({info['cpus_usable']} usable), {info['cpu_model']}, "
        f"load {load}",
        f"python {info['python']}, starlette {info['starlette']}, uvicorn {info['uvicorn']} "
        f"(1 worker, loop auto = {info['server_loop']})",
        f"generator: {info['generator']}"
        + (f" ({info['generator_note']})" if info["generator_note"] else "")
        + f"; {config.connections} connections, {config.seconds}s per endpoint",
        "note: the load generator and the server share this machine's cores, so absolute numbers "
        "are a lower bound; compare rows with the floor measured in the same run",
    ]
    return "\n".join(lines)


def write_json(section: SectionResult, info: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{section.name}.json"
    data = {
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": info,
        **section.to_json(),
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _terminate(signum: int, frame: Any) -> None:
    """SIGTERM acts like Ctrl-C, so every ``finally`` stops its servers.

    Delegating to the current SIGINT handler lets a running asyncio.Runner (the Python load
    generator) cancel its task cleanly instead of taking an exception in a transport callback.
    """
    handler = signal.getsignal(signal.SIGINT)
    if not callable(handler):
        raise KeyboardInterrupt
    handler(signal.SIGINT, frame)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench",
        description="Run benchmark sections; see tests/bench/__init__.py for the TRYG_BENCH_* "
        "environment variables.",
    )
    parser.add_argument("sections", nargs="*", help=f"default: all of {', '.join(SECTIONS)}")
    args = parser.parse_args(argv)
    unknown = [name for name in args.sections if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    # Interruptible even when started in the background (where SIGINT is inherited ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)

    config = Config.from_env()
    generator = choose_generator(config.generator_preference, config.allow_install)
    info = machine_info(generator)
    print(header(info, config), flush=True)
    started = time.monotonic()
    try:
        for name in args.sections or list(SECTIONS):
            print(flush=True)
            section = SECTIONS[name](config, generator)
            print(section.render(), flush=True)
            path = write_json(section, info)
            print(f"  -> {path.relative_to(REPO_ROOT)}", flush=True)
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped", file=sys.stderr, flush=True)
        return 130
    print(f"\nbench finished in {time.monotonic() - started:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
