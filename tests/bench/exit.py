"""Quick exit: from the input event to the overlay's first painted frame and to navigation start.

Headless Chromium (/usr/bin/chromium, Playwright) loads Tryg's home page (served by uvicorn like
the other sections, htmx from the app's own copy) and leaves it RUNS times by each way out:
a mouse click on "Forlad siden", and the third of three Shift presses. The baseline, measured in
the same run and browser, is a bare page whose only script paints an overlay and calls
``location.replace`` on click.

Timestamps all come from the leaving page's own clock (``performance``), recorded by a probe
injected before any page script:
* input: ``event.timeStamp`` of the click / the third Shift keydown (captured on ``window``,
  before the page's handlers);
* overlay frame: the ``requestAnimationFrame`` timestamp of the first frame after the input
  (the frame that paints what the input's task changed), checked to show the overlay;
* navigation start: ``performance.now()`` in the Navigation API's ``navigate`` event, which
  fires synchronously inside ``location.replace``.
The exit site is held (Playwright ``route``) until the probe has reported, so a fast exit site
cannot replace the page before its next frame; the target is ≤ 16.7 ms to the overlay frame
(the same frame as the input at 60 Hz).
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import statistics
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from tests.bench.foundation import tryg_env
from tests.bench.harness import Column, Config, SectionResult
from tests.bench.load import LOOPBACK, Generator
from tests.bench.servers import UvicornServer

RUNS = 50
CHROMIUM = "/usr/bin/chromium"
FRAME_MS = 1000 / 60

PROBE = """
(() => {
  const report = { overlay: false };
  let done = 0;
  const finish = () => { if (++done === 2) console.log('exit-bench ' + JSON.stringify(report)); };
  const overlayShown = () => {
    const o = document.querySelector('[data-exit-overlay]');
    return !!o && !o.hidden && getComputedStyle(o).display !== 'none';
  };
  const input = (event) => {
    if (report.input !== undefined) return;
    report.input = event.timeStamp;
    requestAnimationFrame((ts) => {
      report.frame = ts;
      report.overlay = overlayShown();
      finish();
    });
  };
  let shifts = 0;
  addEventListener('click', input, true);
  addEventListener('keydown', (e) => { if (e.key === 'Shift' && ++shifts === 3) input(e); }, true);
  if (window.navigation) {
    navigation.addEventListener('navigate', () => {
      report.navigate = performance.now();
      finish();
    });
  }
})();
"""

EXIT_HTML = b"""<!doctype html><html lang="da"><head><meta charset="utf-8"><title>Vejret</title>
</head><body><h1>Vejret</h1></body></html>"""
BARE_HTML = b"""<!doctype html><html lang="da"><head><meta charset="utf-8"><title>Bare</title>
<link rel="stylesheet" href="bare.css"><script src="bare.js" defer></script></head>
<body><a class="exit-button" href="exit.html">Forlad siden</a>
<div data-exit-overlay hidden></div><main><h1>Bare</h1></main></body></html>"""
BARE_CSS = b"""[data-exit-overlay] { position: fixed; inset: 0; z-index: 2000; background: #fff; }
[data-exit-overlay][hidden] { display: none; }
.exit-button { display: block; padding: 1rem; }"""
BARE_JS = b"""document.addEventListener('click', function (event) {
  if (!event.target.closest('.exit-button')) return;
  event.preventDefault();
  document.querySelector('[data-exit-overlay]').hidden = false;
  location.replace(event.target.closest('.exit-button').href);
});"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def static_site() -> Iterator[str]:
    """The exit site and the bare baseline page, on their own origin."""
    with tempfile.TemporaryDirectory(prefix="tryg-bench-exit-") as tmp:
        root = Path(tmp)
        for name, body in [
            ("exit.html", EXIT_HTML),
            ("bare.html", BARE_HTML),
            ("bare.css", BARE_CSS),
            ("bare.js", BARE_JS),
        ]:
            (root / name).write_bytes(body)
        handler = functools.partial(_Quiet, directory=str(root))
        httpd = http.server.ThreadingHTTPServer((LOOPBACK, 0), handler)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://{LOOPBACK}:{httpd.server_address[1]}"
        finally:
            httpd.shutdown()
            httpd.server_close()


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def measure(page: Any, url: str, exit_url: str, leave: Callable[[Any], None]) -> dict[str, Any]:
    held: list[Any] = []
    page.route(exit_url, lambda route: held.append(route))
    try:
        page.goto(url, wait_until="load")
        with page.expect_event(
            "console", lambda m: m.text.startswith("exit-bench "), timeout=10_000
        ) as message:
            leave(page)
        report: dict[str, Any] = json.loads(message.value.text.split(" ", 1)[1])
    finally:
        for _ in range(250):  # the route handler may run just after the console message
            if held:
                break
            page.wait_for_timeout(20)
        for route in held:
            route.fulfill(status=200, content_type="text/html", body=EXIT_HTML)
        page.unroute(exit_url)
    page.wait_for_url(exit_url)
    return report


def click_exit(page: Any) -> None:
    box = page.locator(".exit-button").first.bounding_box()
    assert box is not None
    # The low-level mouse: Locator.click would wait for the navigation it starts.
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def three_shifts(page: Any) -> None:
    for _ in range(3):
        page.keyboard.press("Shift")


def summarise(label: str, reports: list[dict[str, Any]]) -> dict[str, Any]:
    frame = [r["frame"] - r["input"] for r in reports]
    navigate = [r["navigate"] - r["input"] for r in reports if "navigate" in r]
    return {
        "page": label,
        "runs": len(reports),
        "frame_p50": statistics.median(frame),
        "frame_p95": _percentile(frame, 95),
        "nav_p50": statistics.median(navigate) if navigate else None,
        "nav_p95": _percentile(navigate, 95) if navigate else None,
        "covered": sum(1 for r in reports if r["overlay"]),
        "in_one_frame": sum(1 for v in frame if v <= FRAME_MS),
    }


def run(config: Config, generator: Generator) -> SectionResult:
    from playwright.sync_api import sync_playwright

    if shutil.which(CHROMIUM) is None:
        raise SystemExit(f"{CHROMIUM} not found: the exit section needs Debian's chromium")
    with ExitStack() as stack:
        site = stack.enter_context(static_site())
        exit_url = f"{site}/exit.html"
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tryg-bench-")))
        server = UvicornServer("tryg", "app.main:app", ready_path="/healthz")
        server.env.update(tryg_env(tmp / "tryg.db", server.port))
        server.env["TRYG_EXIT_URL"] = exit_url
        stack.enter_context(server)
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        stack.callback(browser.close)
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="da-DK")
        context.add_init_script(PROBE)
        page = context.new_page()
        cases = [
            ("bare page (baseline), click", f"{site}/bare.html", click_exit),
            ("Tryg /, click on Forlad siden", server.url("/"), click_exit),
            ("Tryg /, third Shift", server.url("/"), three_shifts),
        ]
        rows = []
        for label, url, leave in cases:
            measure(page, url, exit_url, leave)  # warm-up: caches, JIT
            reports = [measure(page, url, exit_url, leave) for _ in range(RUNS)]
            rows.append(summarise(label, reports))
    columns = [
        Column("page", "leaving", align="<"),
        Column("runs", "runs"),
        Column("frame_p50", "→ overlay frame p50 ms", "{:.1f}"),
        Column("frame_p95", "p95 ms", "{:.1f}"),
        Column("nav_p50", "→ navigation start p50 ms", "{:.2f}"),
        Column("nav_p95", "p95 ms", "{:.2f}"),
        Column("covered", "overlay in that frame"),
        Column("in_one_frame", f"≤ {FRAME_MS:.1f} ms"),
    ]
    return SectionResult(
        name="exit",
        title=f"Quick exit: input → overlay frame and → navigation start ({RUNS} runs each)",
        columns=columns,
        rows=rows,
        notes=[
            "frame: the requestAnimationFrame timestamp of the first frame after the input, minus "
            "event.timeStamp; target ≤ 16.7 ms (the same frame as the input at 60 Hz)",
            "navigation start: performance.now() in the Navigation API navigate event, which "
            "location.replace fires synchronously",
            f"headless Chromium {CHROMIUM}; the baseline page paints an overlay and nothing else",
        ],
    )
