"""The phone: what the service worker precaches, and how long an offline launch takes until the
plan is on screen after the unlock — next to the PBKDF2 cost alone, measured in the same run.

Real Chromium (Debian's, as in the browser tests) against the app under uvicorn. A victim signs
in, sets an offline PIN (the copy is encrypted and stored), then, offline, the app is launched
(its ``start_url``) again and again: the worker answers with the cached offline page, the PIN is
typed, the copy decrypted and shown. Times come from ``performance`` marks in the page
(navigation start → unlock screen ready; submit → plan visible), so Playwright's own overhead is
not counted; the victim's typing is not counted either. htmx is served by the app itself here
(``make bench`` must not depend on a CDN), so the precache size includes it, as it would from
the CDN.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from app import crypto, db
from app.auth.models import Role
from app.settings import Settings
from tests.bench.harness import Column, Config, SectionResult
from tests.bench.load import Generator
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, start_live_server
from tests.browser.people import person, sign_in

RUNS = 7
PIN = "blå-hest-42"

COLUMNS = [
    Column("what", "offline launch (median of runs)", "{}", "<"),
    Column("median_ms", "median ms", "{:.0f}"),
    Column("min_ms", "min ms", "{:.0f}"),
    Column("max_ms", "max ms", "{:.0f}"),
    Column("runs", "runs"),
]

PRECACHE_BYTES = """async () => {
  let bytes = 0, entries = 0;
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      bytes += (await (await cache.match(request)).arrayBuffer()).byteLength;
      entries += 1;
    }
  }
  return [bytes, entries];
}"""

# The key derivation alone, exactly as offline.js does it (the baseline).
PBKDF2_MS = """async (iterations) => {
  const subtle = crypto.subtle;
  const base = await subtle.importKey("raw", new TextEncoder().encode("blå-hest-42"), "PBKDF2",
    false, ["deriveKey"]);
  const start = performance.now();
  await subtle.deriveKey({ name: "PBKDF2", salt: crypto.getRandomValues(new Uint8Array(16)),
    iterations, hash: "SHA-256" }, base, { name: "AES-GCM", length: 256 }, false, ["decrypt"]);
  return performance.now() - start;
}"""

MARKS = """() => {
  const at = (name) => performance.getEntriesByName(name)[0].startTime;
  return [at("tryg-unlock-ready"), at("tryg-plan-shown") - at("tryg-unlock-start"),
          at("tryg-plan-shown") - at("tryg-unlock-start") + at("tryg-unlock-ready")];
}"""


def _row(what: str, values: list[float]) -> dict[str, object]:
    return {
        "what": what,
        "median_ms": statistics.median(values),
        "min_ms": min(values),
        "max_ms": max(values),
        "runs": len(values),
    }


def run(config: Config, generator: Generator) -> SectionResult:
    with tempfile.TemporaryDirectory() as tmp:
        live = start_live_server(
            lambda port: Settings(
                database_url=f"sqlite:///{Path(tmp) / 'tryg.db'}",
                origin=f"http://localhost:{port}",
                htmx_url="/static/vendor/htmx.min.js",
                log_level="WARNING",
            )
        )
        try:
            return _measure(live.url, live.settings)
        finally:
            live.stop()


def _measure(base: str, settings: Settings) -> SectionResult:
    crypto.configure(crypto.Cipher.from_settings(settings))
    engine = db.make_engine(settings.database_url)
    try:
        user, _ = person(engine, Role.victim, "Maja")
    finally:
        engine.dispose()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=PHONE, locale="da-DK")
            page = context.new_page()
            sign_in(page, base, user)
            page.wait_for_function("() => navigator.serviceWorker.controller !== null")
            page.goto(f"{base}/phone")
            page.get_by_label("Pinkode til offline-kopien").fill(PIN)
            page.get_by_label("Den samme pinkode igen").fill(PIN)
            page.get_by_role("button", name="Gem offline-kopien").click()
            expect(page.get_by_text("Offline-kopien er gemt")).to_be_visible(timeout=60_000)
            precache_bytes, entries = page.evaluate(PRECACHE_BYTES)
            iterations = page.evaluate("() => window.TrygOffline.ITERATIONS")

            context.set_offline(True)
            ready, unlock, total, pbkdf2 = [], [], [], []
            for _ in range(RUNS):
                page.goto(f"{base}/")  # the installed app's start_url
                page.get_by_label("Din pinkode til offline-kopien").fill(PIN)
                page.get_by_role("button", name="Lås op").click()
                expect(page.locator("[data-offline-view]")).to_be_visible(timeout=60_000)
                r, u, t = page.evaluate(MARKS)
                ready.append(r)
                unlock.append(u)
                total.append(t)
                pbkdf2.append(page.evaluate(PBKDF2_MS, iterations))
        finally:
            browser.close()
    rows = [
        _row(f"baseline: PBKDF2-SHA256 {iterations:,} iterations alone", pbkdf2),
        _row("launch → unlock screen ready (worker + cached page)", ready),
        _row("unlock: PIN submitted → plan visible", unlock),
        _row("total: launch → plan visible after unlock", total),
    ]
    section = SectionResult("phone", "The phone: offline launch in Chromium", COLUMNS, rows)
    section.notes.append(f"precache: {precache_bytes:,} bytes in {entries} entries (Cache Storage)")
    section.notes.append(
        "unlock = PBKDF2 + AES-GCM (private key) + RSA-OAEP (data key) + AES-GCM (copy) + render; "
        "the victim's typing is not counted"
    )
    section.extra["precache_bytes"] = precache_bytes
    section.extra["precache_entries"] = entries
    return section
