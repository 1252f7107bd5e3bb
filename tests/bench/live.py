"""Live co-editing: propagation latency in a real browser, and what open streams cost.

One uvicorn worker on a fresh SQLite database (like the other sections).

* Propagation: a victim's plan is open in headless Chromium; a caseworker's client saves an
  edit over HTTP; the time from just before the save to the moment the browser's DOM shows the
  new text (a MutationObserver, ``performance.timeOrigin + now()``, same machine clock), over
  ``EDITS`` edits. Baselines of the same run: the save's own round trip, and one re-fetch of a
  section fragment (what the browser does after the event).
* Streams: ``STREAMS`` idle streams held open by one asyncio client: the server's RSS growth per
  stream, and the time from a save until every stream has the event (p50 and the last), next to
  the same for one stream.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx2 as httpx
from sqlmodel import select

from app import crypto, db
from app.auth import sessions
from app.auth.models import Organisation, Role, User
from app.plans.models import Item
from app.plans.queries import create_plan
from app.plans.template import DEFAULT_TEMPLATE
from app.settings import Settings
from tests.bench.foundation import tryg_env
from tests.bench.harness import Column, Config, SectionResult
from tests.bench.load import Generator
from tests.bench.servers import UvicornServer
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

EDITS = 100
STREAMS = 200

COLUMNS = [
    Column("what", "what", align="<"),
    Column("p50_ms", "p50 ms", "{:.1f}"),
    Column("p95_ms", "p95 ms", "{:.1f}"),
    Column("max_ms", "max ms", "{:.1f}"),
    Column("n", "n", "{:,}"),
    Column("kib_per_stream", "KiB per stream", "{:.1f}"),
]

OBSERVE = """() => {
  window.__seen = {};
  const root = document.getElementById("plan-sections");
  new MutationObserver(() => {
    const at = performance.timeOrigin + performance.now();
    for (const el of document.querySelectorAll(".item-text")) {
      const t = el.textContent;
      if (t.startsWith("bench-") && !(t in window.__seen)) { window.__seen[t] = at; }
    }
  }).observe(root, {subtree: true, childList: true, characterData: true});
}"""


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _row(what: str, samples: list[float], **extra: Any) -> dict[str, Any]:
    return {
        "what": what,
        "p50_ms": statistics.median(samples),
        "p95_ms": _pct(samples, 0.95),
        "max_ms": max(samples),
        "n": len(samples),
        **extra,
    }


class World:
    """A victim's plan, granted to a caseworker; sessions for both."""

    def __init__(self, settings: Settings) -> None:
        crypto.configure(crypto.Cipher.from_settings(settings))  # the server's data key
        engine = db.make_engine(settings.database_url)
        with db.write_session(engine) as s:
            org = Organisation(name="Esbjerg Lokalpoliti")
            s.add(org)
            s.flush()
            caseworker = User(role=Role.caseworker, display_name="Anna", organisation_id=org.id)
            victim = User(role=Role.victim, display_name="Maja")
            s.add_all([caseworker, victim])
            s.flush()
            plan = create_plan(s, victim, DEFAULT_TEMPLATE, "da", caseworker)
            item = s.exec(select(Item).where(Item.plan_id == plan.id).order_by(Item.id)).first()
            assert item is not None
            self.plan_id, self.item_id, self.version = plan.id, item.id, item.version
            self.section_id = item.section_id
            self.victim_token = sessions.start(s, settings, victim, "bench")
            self.caseworker_token = sessions.start(s, settings, caseworker, "bench")
        engine.dispose()


class Editor:
    """The caseworker's saves, as a browser without JavaScript would send them."""

    def __init__(self, base: str, world: World) -> None:
        self.world = world
        self.client = httpx.Client(
            base_url=base, cookies={"tryg_session": world.caseworker_token}, timeout=10
        )
        self.client.get(f"/plans/{world.plan_id}")
        self.csrf = self.client.cookies["tryg_csrf"]

    def save(self, text: str) -> float:
        """Returns the epoch ms just before sending."""
        w = self.world
        started = time.time() * 1000
        r = self.client.post(
            f"/plans/{w.plan_id}/items/{w.item_id}",
            data={"text": text, "version": w.version, "csrftoken": self.csrf},
            follow_redirects=False,
        )
        if r.status_code != 303:
            raise RuntimeError(f"save answered {r.status_code}")
        w.version += 1
        return started

    def section_get_ms(self) -> float:
        started = time.perf_counter()
        r = self.client.get(
            f"/plans/{self.world.plan_id}/sections/{self.world.section_id}",
            headers={"HX-Request": "true"},
        )
        r.raise_for_status()
        return (time.perf_counter() - started) * 1000


def propagation(base: str, world: World, editor: Editor) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    latencies, saves, fetches = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 412, "height": 915})
        context.add_cookies([{"name": "tryg_session", "value": world.victim_token, "url": base}])
        page = context.new_page()
        page.goto(f"{base}/plans/{world.plan_id}")
        page.wait_for_selector("#live[data-live='on']", state="attached", timeout=10_000)
        page.evaluate(OBSERVE)
        for n in range(EDITS):
            text = f"bench-{n}"
            started = editor.save(text)
            saves.append(time.time() * 1000 - started)
            page.wait_for_function(f"() => window.__seen && window.__seen['{text}']")
            latencies.append(page.evaluate(f"window.__seen['{text}']") - started)
            fetches.append(editor.section_get_ms())
        browser.close()
    return [
        _row("save → other browser's DOM shows it", latencies),
        _row("baseline: the save's own round trip", saves),
        _row("baseline: one section re-fetch (htmx GET)", fetches),
    ]


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def _deliver(base: str, world: World, editor: Editor, count: int, pid: int) -> dict:
    """Open ``count`` streams, let them idle, then time one event's arrival at each."""
    url = f"{base}/plans/{world.plan_id}/events"
    limits = httpx.Limits(max_connections=count + 10, max_keepalive_connections=count + 10)
    async with httpx.AsyncClient(
        cookies={"tryg_session": world.victim_token}, limits=limits, timeout=30
    ) as client:
        ready = asyncio.Event()
        opened = 0
        arrived: list[float] = []
        marker = f"event: section-{world.section_id}"

        async def listen() -> None:
            nonlocal opened
            async with client.stream("GET", url) as r:
                if r.status_code != 200:
                    raise RuntimeError(f"stream answered {r.status_code}")
                opened += 1
                if opened == count:
                    ready.set()
                async for line in r.aiter_lines():
                    if line == marker:
                        arrived.append(time.perf_counter())
                        return

        rss_before = _rss_kib(pid)
        tasks = [asyncio.create_task(listen()) for _ in range(count)]
        await asyncio.wait_for(ready.wait(), timeout=60)
        await asyncio.sleep(1.0)  # idle
        rss_after = _rss_kib(pid)
        started = time.perf_counter()
        await asyncio.to_thread(editor.save, f"stream-{count}-{time.time()}")
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    ms = [(t - started) * 1000 for t in arrived]
    return {"ms": ms, "kib": (rss_after - rss_before) / count}


def streams(base: str, world: World, editor: Editor, pid: int) -> list[dict[str, Any]]:
    one = asyncio.run(_deliver(base, world, editor, 1, pid))
    many = asyncio.run(_deliver(base, world, editor, STREAMS, pid))
    return [
        _row(f"one event to {STREAMS} open streams", many["ms"], kib_per_stream=many["kib"]),
        _row("baseline: one event to 1 open stream", one["ms"]),
    ]


def run(config: Config, generator: Generator) -> SectionResult:
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tryg-bench-live-")))
        server = UvicornServer("tryg", "app.main:app", ready_path="/healthz")
        stack.callback(server.stop)
        env = tryg_env(tmp / "tryg.db", server.port)
        env["TRYG_LIVE_STREAMS_PER_SESSION"] = str(STREAMS + 10)
        server.env.update(env)
        server.start()
        settings = Settings(database_url=env["TRYG_DATABASE_URL"], origin=env["TRYG_ORIGIN"])
        world = World(settings)
        base = env["TRYG_ORIGIN"]
        editor = Editor(base, world)
        assert server.pid is not None
        rows = streams(base, world, editor, server.pid)
        rows = propagation(base, world, editor) + rows
    section = SectionResult(
        "live",
        f"Live co-editing: propagation over {EDITS} edits, and {STREAMS} open streams",
        COLUMNS,
        rows,
    )
    section.notes.append(
        "propagation = save + event (in-process broker) + the browser's section re-fetch + swap"
    )
    section.notes.append(
        "stream delivery is timed by one asyncio client reading every stream (its own cost "
        "included); KiB per stream = the server's RSS growth / streams, after 1 s idle"
    )
    return section
