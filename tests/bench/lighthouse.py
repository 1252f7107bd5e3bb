"""Lighthouse 12 on the demo victim's plan page, as she opens it on a phone (issue 14, point 2).

Lighthouse comes from the npm registry (pinned, installed once into ``.cache/lighthouse``) and
drives Debian's Chromium; it runs its default mobile profile (Moto G Power, simulated slow 4G
and 4× CPU slowdown). The page is served by one uvicorn worker on the demo database, with htmx
from the app's own static files (this machine has no CDN), and Lighthouse sends the victim's
session cookie. Each run is repeated and the median of every score is printed.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from app import db
from app.auth import sessions
from app.plans.models import Plan
from tests.bench.foundation import tryg_env
from tests.bench.harness import Column, Config, SectionResult
from tests.bench.load import Generator
from tests.bench.plans import demo_session
from tests.bench.servers import REPO_ROOT, UvicornServer, free_port

LIGHTHOUSE_VERSION = "12.8.2"
PREFIX = REPO_ROOT / ".cache" / "lighthouse"
CLI = PREFIX / "node_modules" / "lighthouse" / "cli" / "index.js"
RUNS = 3
CATEGORIES = ("performance", "accessibility", "best-practices")
# Issue 14, point 2.
TARGETS = {"performance": 0.98, "accessibility": 1.0, "best-practices": 1.0}
TARGET_LCP_MS = 1500.0

COLUMNS = [
    Column("run", "run", "{}", "<"),
    Column("performance", "performance", "{:.2f}"),
    Column("accessibility", "accessibility", "{:.2f}"),
    Column("best-practices", "best practices", "{:.2f}"),
    Column("lcp_ms", "LCP ms", "{:,.0f}"),
    Column("tbt_ms", "TBT ms", "{:,.0f}"),
    Column("cls", "CLS", "{:.3f}"),
]


def install() -> Path:
    if not CLI.exists():
        PREFIX.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                f"lighthouse@{LIGHTHOUSE_VERSION}",
            ],
            cwd=PREFIX,
            check=True,
        )
    return CLI


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("Lighthouse needs Chromium: apt-get install chromium")


def victim_cookie(db_path: Path, port: int) -> tuple[str, str]:
    """The demo data and a session of the demo victim: (its cookie, her plan's path)."""
    settings, token = demo_session(db_path, port)
    engine = db.make_engine(settings.database_url)
    try:
        with db.read_session(engine) as session:
            plan = session.exec(select(Plan).order_by(col(Plan.id))).first()  # hers: the only one
            assert plan is not None
            path = f"/plans/{plan.id}"
    finally:
        engine.dispose()
    return f"{sessions.cookie_name(settings)}={token}", path


def audit(url: str, cookie: str, out: Path) -> dict[str, Any]:
    """One Lighthouse run on ``url`` in a Chromium that holds the victim's session cookie.

    The cookie is set in the browser's own jar (through Playwright, which starts Chromium with a
    debugging port Lighthouse then drives): Lighthouse's ``--extra-headers`` would replace the
    jar's cookies on some requests and not others, and the page would meet a signed-out stream.
    """
    from playwright.sync_api import sync_playwright

    name, value = cookie.split("=", 1)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="tryg-lh-profile-") as profile, sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            profile,
            executable_path=chromium(),
            headless=True,
            args=[f"--remote-debugging-port={port}", "--no-sandbox", "--disable-gpu"],
        )
        try:
            browser.add_cookies([{"name": name, "value": value, "url": url}])
            command = [
                "node",
                str(install()),
                url,
                "--quiet",
                "--output=json",
                f"--output-path={out}",
                "--only-categories=" + ",".join(CATEGORIES),
                f"--port={port}",
            ]
            subprocess.run(command, check=True, timeout=240)
        finally:
            browser.close()
    report = json.loads(out.read_text())
    audits = report["audits"]
    row: dict[str, Any] = {c: report["categories"][c]["score"] for c in CATEGORIES}
    row["lcp_ms"] = audits["largest-contentful-paint"]["numericValue"]
    row["tbt_ms"] = audits["total-blocking-time"]["numericValue"]
    row["cls"] = audits["cumulative-layout-shift"]["numericValue"]
    if report.get("finalDisplayedUrl") != url:
        raise RuntimeError(f"Lighthouse ended at {report.get('finalDisplayedUrl')}, not {url}")
    row["failed"] = sorted(
        f"{ref['id']}"
        for c in CATEGORIES
        for ref in report["categories"][c]["auditRefs"]
        if ref.get("weight")
        and (audits[ref["id"]].get("score") or 0) < 1
        and audits[ref["id"]].get("scoreDisplayMode") in ("binary", "numeric")
    )
    return row


def run(config: Config, generator: Generator) -> SectionResult:
    section = SectionResult(
        "lighthouse",
        f"Lighthouse {LIGHTHOUSE_VERSION} (mobile) on the demo victim's plan page",
        COLUMNS,
    )
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tryg-bench-lh-")))
        server = UvicornServer("tryg (demo)", "app.main:app", ready_path="/healthz")
        env = tryg_env(tmp / "demo.db", server.port)
        env["TRYG_ORIGIN"] = f"http://localhost:{server.port}"  # a secure context for Chromium
        server.env.update(env)
        cookie, path = victim_cookie(tmp / "demo.db", server.port)
        stack.enter_context(server)
        url = f"http://localhost:{server.port}{path}"
        for number in range(1, RUNS + 1):
            row = audit(url, cookie, tmp / f"run-{number}.json")
            row["run"] = str(number)
            section.rows.append(row)
            print(
                f"  lighthouse run {number}: "
                + ", ".join(f"{c} {row[c]:.2f}" for c in CATEGORIES)
                + f", LCP {row['lcp_ms']:.0f} ms",
                flush=True,
            )
    median: dict[str, Any] = {"run": "median"}
    for key in (*CATEGORIES, "lcp_ms", "tbt_ms", "cls"):
        median[key] = statistics.median(r[key] for r in section.rows)
    section.rows.append(median)
    verdicts = [
        f"{c} {median[c]:.2f} (target ≥ {TARGETS[c]:.2f}: "
        f"{'met' if median[c] >= TARGETS[c] else 'NOT met'})"
        for c in CATEGORIES
    ]
    lcp_ok = median["lcp_ms"] <= TARGET_LCP_MS
    section.notes += [
        "issue 14 targets, medians of "
        + str(RUNS)
        + " runs: "
        + "; ".join(verdicts)
        + f"; LCP {median['lcp_ms']:.0f} ms (target ≤ {TARGET_LCP_MS:.0f}: "
        + ("met" if lcp_ok else "NOT met")
        + ")",
        "audits below full score: "
        + (
            ", ".join(sorted({f for r in section.rows[:-1] for f in r.get("failed", [])})) or "none"
        ),
        "htmx served from the app's static files (no CDN here); Chromium: " + chromium(),
    ]
    return section
