"""Plan pages: ``GET /plans/{id}`` with 100, 10 000 and 100 000 items in the database.

For each size a fresh SQLite database (the app's migrations) is seeded in one transaction:
victims with a plan of 14 sections and 50 items each (text encrypted by the app's
``EncryptedText`` columns, as the app writes it), one measured victim among them with a plan of
the same, typical size, and a session for that victim made with ``sessions.start``. Each
database is served by one uvicorn worker, like the foundation section, and the measured victim's
plan page is loaded with its session cookie next to the bare Starlette floor of the same run.

The page must cost the same whatever the total: the section also counts the SQL statements of
one plan page in process (the same number is expected at every size) and shows SQLite's query
plan for each of them.

Every request says ``Accept-Encoding: gzip``, as a browser does. The section ends with the
figures of issue 14, point 2: the plan page's requests/s and p99 next to the bare Starlette app
of the same run, and the demo plan's (``python -m app demo``) HTML bytes, raw and gzip. Two rows
put them in proportion: the skeleton (``skeleton_app.py``: what any signed-in page must do under
the issue's own rules, with none of Tryg in it) and the plan page at two connections, where no
queue stands in front of it.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event, insert
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from app import crypto, db, demo
from app.auth import sessions
from app.auth.models import AuthSession, Organisation, Role, User
from app.clock import now
from app.main import create_app
from app.plans.models import Grant, Item, Plan, Section
from app.plans.template import DEFAULT_TEMPLATE
from app.settings import Settings
from tests.bench.foundation import floor_server, tryg_env
from tests.bench.harness import (
    Column,
    Config,
    SectionResult,
    Target,
    get_status,
    run_http_section,
)
from tests.bench.load import Generator, loopback_only
from tests.bench.servers import UvicornServer

# Total items in the database (all plans, the measured one included).
SIZES = (100, 10_000, 100_000)
ITEMS_PER_PLAN = 50
SECTIONS_PER_PLAN = len(DEFAULT_TEMPLATE)  # 14
DELETE_EVERY = 25  # every 25th item is soft-deleted (kept for "undo"): 2 of 50 per plan
BATCH_ROWS = 10_000  # rows per executemany, so memory stays bounded at any size
USER_AGENT = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537"
CSRF_COOKIE = "tryg_csrf"
GZIP = {"Accept-Encoding": "gzip"}  # what every browser sends
# Issue 14, point 2: what `make bench` is measured against.
TARGET_RATIO = 0.05  # plan page ≥ 5 % of the bare app's requests/s
TARGET_P99_MS = 50.0
TARGET_WIRE_BYTES = 14 * 1024  # the demo plan's HTML on the wire
TARGET_ITEMS = 10_000  # the row the summary quotes
# That page again with one request in flight per core: its latency without the queue in front.
LIGHT_CONNECTIONS = 2


def _plan_layout() -> list[tuple[str, str, list[str]]]:
    """(template key, title, item texts) for 14 sections holding 50 items in all, taken from
    the default template round-robin (3-4 per section), in Danish as a victim would have it."""
    texts: list[list[str]] = [[] for _ in DEFAULT_TEMPLATE]
    depth = 0
    while sum(map(len, texts)) < ITEMS_PER_PLAN and depth < 100:
        for index, spec in enumerate(DEFAULT_TEMPLATE):
            if sum(map(len, texts)) >= ITEMS_PER_PLAN:
                break
            source = spec.items[depth % len(spec.items)]
            texts[index].append(source.da)
        depth += 1
    return [(spec.key, spec.da, texts[i]) for i, spec in enumerate(DEFAULT_TEMPLATE)]


LAYOUT = _plan_layout()


def bench_settings(db_path: Path, port: int) -> Settings:
    """The settings the served app gets from :func:`tryg_env` (defaults otherwise, because the
    server's environment has every other ``TRYG_*`` removed): same data key, same cookies."""
    env = tryg_env(db_path, port)
    return Settings(
        database_url=env["TRYG_DATABASE_URL"],
        htmx_url=env["TRYG_HTMX_URL"],
        origin=env["TRYG_ORIGIN"],
        log_level=env["TRYG_LOG_LEVEL"],
    )


@dataclass
class Seeded:
    total_items: int
    plans: int
    plan_id: int
    victim_id: int
    token: str
    cookie_name: str
    seconds: float


@dataclass
class Statements:
    """What one plan page sent to the database (cursor executions, in order)."""

    sql: list[str] = field(default_factory=list)
    query_plans: list[str] = field(default_factory=list)
    page_bytes: int = 0
    wire_bytes: int = 0  # gzip-encoded, as sent
    csrf_cookie: str = ""

    @property
    def queries(self) -> int:
        """Statements that read or write rows; BEGIN is counted apart."""
        return sum(1 for s in self.sql if not s.lstrip().upper().startswith("BEGIN"))

    @property
    def begins(self) -> int:
        return len(self.sql) - self.queries

    def shape(self) -> list[str]:
        """Each statement reduced to its verb and table, to compare sizes."""
        return [_short(s) for s in self.sql]


def _short(sql: str) -> str:
    words = sql.split()
    verb = words[0].upper() if words else "?"
    if verb == "BEGIN":
        return " ".join(words[:2])
    upper = [w.upper() for w in words]
    for keyword in ("FROM", "INTO", "UPDATE"):
        if keyword in upper and upper.index(keyword) + 1 < len(words):
            table = words[upper.index(keyword) + 1].strip('"')
            return f"{verb} {table}"
    return verb


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def seed(settings: Settings, total_items: int) -> Seeded:
    """Migrate a fresh database and fill it in one write transaction (executemany in batches).

    Plans get explicit ids 1..n; the measured victim's plan is in the middle, so neither the
    first nor the last rows of any table belong to it.
    """
    crypto.configure(crypto.Cipher.from_settings(settings))
    plans = max(1, round(total_items / ITEMS_PER_PLAN))
    measured_index = plans // 2
    engine = db.make_engine(settings.database_url)
    try:
        db.migrate(engine)
        started = time.perf_counter()
        with db.write_session(engine) as session:
            moment = now()
            org = Organisation(name="Esbjerg Lokalpoliti", kind="politi")
            session.add(org)
            session.flush()
            caseworker = User(
                role=Role.caseworker, display_name="Anna", organisation_id=org.id, locale="da"
            )
            session.add(caseworker)
            session.flush()
            victim = User(
                role=Role.victim,
                display_name="Målt borger",
                locale="da",
                enrolled_by_id=caseworker.id,
            )
            session.add(victim)
            session.flush()
            assert caseworker.id is not None and victim.id is not None
            first_other = victim.id + 1
            # Victim of plan i: the measured one at measured_index, bulk-inserted users elsewhere.
            victim_ids = [
                victim.id if i == measured_index else first_other + i - (i > measured_index)
                for i in range(plans)
            ]
            conn = session.connection()

            def bulk(table: Any, rows: Iterator[dict[str, Any]]) -> None:
                target: Table = table.__table__
                for batch in _batches(rows):
                    conn.execute(insert(target), batch)

            bulk(
                User,
                (
                    {
                        "id": victim_ids[i],
                        "role": Role.victim.value,
                        "display_name": f"Borger {i}",
                        "organisation_id": None,
                        "locale": "da",
                        "disabled": False,
                        "webauthn_user_handle": os.urandom(32),
                        "username": None,
                        "password_hash": None,
                        "enrolled_by_id": caseworker.id,
                        "created_at": moment,
                    }
                    for i in range(plans)
                    if i != measured_index
                ),
            )
            bulk(
                AuthSession,
                (
                    {
                        "token_hash": os.urandom(32),
                        "user_id": victim_ids[i],
                        "device": "Chrome · Android",
                        "created_at": moment,
                        "last_seen_at": moment,
                        "expires_at": moment + timedelta(hours=12),
                        "verified_at": moment,
                        "ended_at": None,
                    }
                    for i in range(plans)
                    if i != measured_index
                ),
            )
            bulk(
                Plan,
                (
                    {"id": i + 1, "victim_id": victim_ids[i], "created_at": moment}
                    for i in range(plans)
                ),
            )
            bulk(
                Grant,
                (
                    {
                        "plan_id": i + 1,
                        "caseworker_id": caseworker.id,
                        "granted_by_id": caseworker.id,
                        "granted_at": moment,
                        "revoked_by_id": None,
                        "revoked_at": None,
                    }
                    for i in range(plans)
                ),
            )

            def section_id(plan_index: int, position: int) -> int:
                return plan_index * SECTIONS_PER_PLAN + position + 1

            bulk(
                Section,
                (
                    {
                        "id": section_id(i, position),
                        "plan_id": i + 1,
                        "template_key": key,
                        "title": title,  # encrypted by EncryptedText("section.title")
                        "position": position,
                        "review_by": None,
                        "version": 1,
                        "changed_by_id": caseworker.id,
                        "changed_at": moment,
                    }
                    for i in range(plans)
                    for position, (key, title, _) in enumerate(LAYOUT)
                ),
            )

            def items() -> Iterator[dict[str, Any]]:
                for i in range(plans):
                    n = 0
                    for position, (_, _, texts) in enumerate(LAYOUT):
                        for item_position, text in enumerate(texts):
                            n += 1
                            yield {
                                "plan_id": i + 1,
                                "section_id": section_id(i, position),
                                "text": text,  # encrypted by EncryptedText("item.text")
                                "done": n % 3 == 0,
                                "position": item_position,
                                "version": 1 + n % 2,
                                # The victim has edited some items, the caseworker made the rest.
                                "changed_by_id": victim_ids[i] if n % 2 else caseworker.id,
                                "changed_at": moment,
                                "deleted_at": moment if n % DELETE_EVERY == 0 else None,
                            }

            bulk(Item, items())
            token = sessions.start(session, settings, victim, USER_AGENT)
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    return Seeded(
        total_items=plans * ITEMS_PER_PLAN,
        plans=plans,
        plan_id=measured_index + 1,
        victim_id=victim.id,
        token=token,
        cookie_name=sessions.cookie_name(settings),
        seconds=seconds,
    )


def _explain(engine: Engine, sql: str, parameters: Any) -> str:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, parameters).all()
    return "; ".join(str(row[-1]) for row in rows)


def count_statements(settings: Settings, seeded: Seeded) -> Statements:
    """One plan page in process (TestClient on ``create_app``), after one warm request, with a
    ``before_cursor_execute`` listener on the app's engine; then EXPLAIN QUERY PLAN of each."""
    app = create_app(settings)
    found = Statements()
    captured: list[tuple[str, Any]] = []
    path = f"/plans/{seeded.plan_id}"

    def listener(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        captured.append((statement, parameters))

    with TestClient(app, follow_redirects=False) as client:
        client.cookies.set(sessions.cookie_name(settings), seeded.token)
        warm = client.get(path)
        if warm.status_code != 200:
            raise RuntimeError(f"in-process GET {path} answered {warm.status_code}, not 200")
        found.csrf_cookie = warm.cookies.get(CSRF_COOKIE) or ""
        if found.csrf_cookie:
            client.cookies.set(CSRF_COOKIE, found.csrf_cookie)
        engine: Engine = app.state.engine
        event.listen(engine, "before_cursor_execute", listener)
        try:
            page = client.get(path, headers=GZIP)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        if page.status_code != 200:
            raise RuntimeError(f"in-process GET {path} answered {page.status_code}, not 200")
        found.page_bytes = len(page.content)
        found.wire_bytes = _wire_bytes(page)
        found.sql = [sql for sql, _ in captured]
        for sql, parameters in captured:
            if sql.lstrip().upper().startswith("SELECT"):
                found.query_plans.append(f"{_short(sql)}: {_explain(engine, sql, parameters)}")
    return found


def _wire_bytes(response: Any) -> int:
    """The body's size as sent: Content-Length (the client has already decoded it)."""
    return int(response.headers.get("content-length", len(response.content)))


@dataclass
class DemoPage:
    raw_bytes: int
    wire_bytes: int
    encoding: str
    html: str = field(repr=False)  # as she got it, for the skeleton app (not in the JSON)

    def figures(self) -> dict[str, Any]:
        return {
            "raw_bytes": self.raw_bytes,
            "wire_bytes": self.wire_bytes,
            "encoding": self.encoding,
        }


def demo_session(db_path: Path, port: int) -> tuple[Settings, str]:
    """The demo data (``python -m app demo``) and a fresh session of the demo victim."""
    settings = bench_settings(db_path, port)
    crypto.configure(crypto.Cipher.from_settings(settings))
    engine = db.make_engine(settings.database_url)
    try:
        db.migrate(engine)
        people = demo.load(engine, settings)
        with db.write_session(engine) as session:
            victim = session.merge(people.victim)
            token = sessions.start(session, settings, victim, USER_AGENT)
    finally:
        engine.dispose()
    return settings, token


def demo_page(db_path: Path) -> DemoPage:
    """The demo victim's plan page, fetched in process as she opens it."""
    settings, token = demo_session(db_path, 8000)
    with TestClient(create_app(settings), follow_redirects=True) as client:
        client.cookies.set(sessions.cookie_name(settings), token)
        page = client.get("/plan", headers=GZIP)
        if page.status_code != 200 or "/plans/" not in str(page.url):
            raise RuntimeError(f"the demo plan answered {page.status_code} at {page.url}")
        return DemoPage(
            len(page.content),
            _wire_bytes(page),
            page.headers.get("content-encoding", "none"),
            page.text,
        )


SKELETON_TOKEN = "SKELETON-CSRF-TOKEN"
SKELETON_LABEL = "skeleton: 1 read off the loop, masked token, gzip"


def skeleton_server(stack: ExitStack, tmp: Path, page: DemoPage) -> UvicornServer:
    """tests/bench/skeleton_app.py serving the demo plan's own HTML, its CSRF token a
    placeholder the app replaces with a freshly masked one in every response."""
    token = re.search(r'name="csrftoken" value="([^"]+)"', page.html)
    if token is None:
        raise RuntimeError("the demo plan has no CSRF field")
    html = tmp / "skeleton-page.html"
    html.write_text(page.html.replace(token.group(1), SKELETON_TOKEN))
    server = UvicornServer("skeleton", "tests.bench.skeleton_app:app")
    server.env.update(
        TRYG_SKELETON_PAGE=str(html),
        TRYG_SKELETON_TOKEN=SKELETON_TOKEN,
        TRYG_SKELETON_DB=str(tmp / "skeleton.db"),
    )
    return stack.enter_context(server)


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def skeleton_lines(floor: dict[str, Any], skeleton: dict[str, Any]) -> list[str]:
    """What the skeleton leaves of the 5 % target for everything Tryg itself does."""
    if not (floor["rps"] and skeleton["rps"]):
        return []
    budget_ms = 1000 / (TARGET_RATIO * floor["rps"])
    left_ms = budget_ms - 1000 / skeleton["rps"]
    return [
        f"  the skeleton (no Tryg: one session read in the thread pool, a freshly masked token, "
        f"gzip) serves {skeleton['rps']:,.0f} req/s = {skeleton['rps'] / floor['rps']:.2%} of "
        f"the bare app, p99 {skeleton['p99_ms']:.1f} ms; at 5 % a page may take "
        f"{budget_ms:.2f} ms, the skeleton alone takes {1000 / skeleton['rps']:.2f} ms: "
        f"{left_ms:.2f} ms left for everything the product does"
    ]


def light_lines(light: dict[str, Any]) -> list[str]:
    """The quoted page with no queue in front of it: what one visitor waits."""
    return [
        f"  plan page at {light['connections']} connections (no queue): {light['rps']:,.0f} "
        f"req/s, p50 {light['p50_ms']:.1f} ms, p99 {light['p99_ms']:.1f} ms"
    ]


def target_lines(
    floor: dict[str, Any], plan: dict[str, Any], page: DemoPage, generator: str
) -> list[str]:
    """Issue 14, point 2: the figures and whether each target is met."""
    ratio = plan["rps"] / floor["rps"] if floor["rps"] else 0.0
    return [
        f"issue 14 targets ({generator}, {plan['items']:,} items in the database):",
        f"  plan page {plan['rps']:,.0f} req/s next to the bare Starlette app's "
        f"{floor['rps']:,.0f} req/s in the same run: {ratio:.2%} "
        f"(target ≥ {TARGET_RATIO:.0%}: {_verdict(ratio >= TARGET_RATIO)})",
        f"  plan page p99 {plan['p99_ms']:.1f} ms "
        f"(target ≤ {TARGET_P99_MS:.0f} ms: {_verdict(plan['p99_ms'] <= TARGET_P99_MS)})",
        f"  demo plan HTML {page.raw_bytes:,} bytes, {page.wire_bytes:,} on the wire "
        f"({page.encoding}) (target ≤ {TARGET_WIRE_BYTES // 1024} KB: "
        f"{_verdict(page.wire_bytes <= TARGET_WIRE_BYTES)})",
    ]


COLUMNS = [
    Column("endpoint", "endpoint", align="<"),
    Column("items", "items in db", "{:,}"),
    Column("plans", "plans", "{:,}"),
    Column("seed_s", "seed s", "{:.2f}"),
    Column("queries", "queries/page", "{}"),
    Column("rps", "rps", "{:,.0f}"),
    Column("p50_ms", "p50 ms", "{:.2f}"),
    Column("p99_ms", "p99 ms", "{:.2f}"),
    Column("ratio", "ratio to floor", "{:.4f}"),
    Column("server_cpu_pct", "server cpu %", "{:.0f}"),
    Column("cpu_ms", "server cpu ms/req", "{:.2f}"),
    Column("generator_cpu_pct", "generator cpu %", "{:.0f}"),
    Column("failed", "errors", "{:,}"),
]


LIGHT_KEYS = ("items", "plans", "seed_s", "queries")


def quoted_row(plan_rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return next(row for row in plan_rows if row["items"] == TARGET_ITEMS)


def _cpu_ms(row: dict[str, Any]) -> float | None:
    """Server CPU per request: the page's own cost, whatever the queueing in front of it."""
    if row.get("server_cpu_pct") is None or not row["rps"]:
        return None
    return round(row["server_cpu_pct"] * 10 / row["rps"], 3)


def _flatness_notes(rows: Sequence[dict[str, Any]]) -> list[str]:
    small, large = rows[0], rows[-1]
    if not (small["rps"] and small["p99_ms"]):
        return []
    cpu = ""
    if small.get("cpu_ms") and large.get("cpu_ms"):
        cpu = f", server cpu/req x{large['cpu_ms'] / small['cpu_ms']:.2f}"
    return [
        f"flat? {large['items']:,} vs {small['items']:,} items: "
        f"rps x{large['rps'] / small['rps']:.2f}, p99 x{large['p99_ms'] / small['p99_ms']:.2f}"
        f"{cpu} (1.00 = no cost from the other plans; this shared machine is noisy, ±10-20%)",
        "with more connections than the server can serve, latency is mostly queueing: "
        "p50 ≈ connections / rps; server cpu ms/req is the page's own cost",
    ]


def _error_lines(server: UvicornServer, limit: int = 3) -> list[str]:
    """The app's own log lines about failed requests (ids and exception types only)."""
    lines = [line for line in server.log().splitlines() if " ERROR " in line]
    return lines[-limit:]


def signed_in_target(
    label: str, server: UvicornServer, path: str, session_cookie: str, csrf_cookie: str
) -> Target:
    """``path`` on ``server`` as a returning browser asks for it: session and CSRF cookies
    (when the page set one) and Accept-Encoding: gzip."""
    cookie = session_cookie
    if csrf_cookie:  # a returning browser has its CSRF cookie already
        cookie += f"; {CSRF_COOKIE}={csrf_cookie}"
    return Target(
        label, server.url(path), cpu=server.cpu_seconds, headers={"Cookie": cookie, **GZIP}
    )


def run(config: Config, generator: Generator) -> SectionResult:
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tryg-bench-plans-")))
        prepared: list[tuple[Seeded, Statements, UvicornServer]] = []
        for size in SIZES:
            db_path = tmp / f"plans-{size}.db"
            server = UvicornServer(f"tryg ({size:,} items)", "app.main:app", ready_path="/healthz")
            stack.callback(server.stop)
            server.env.update(tryg_env(db_path, server.port))
            settings = bench_settings(db_path, server.port)
            seeded = seed(settings, size)
            print(
                f"  seeded {seeded.total_items:,} items in {seeded.plans:,} plans "
                f"in {seeded.seconds:.2f}s",
                flush=True,
            )
            statements = count_statements(settings, seeded)
            print(
                f"  {seeded.total_items:,} items: queries per plan page: {statements.queries} "
                f"({' | '.join(statements.shape())})",
                flush=True,
            )
            prepared.append((seeded, statements, server))

        demo_plan = demo_page(tmp / "demo.db")
        print(
            f"  demo plan: {demo_plan.raw_bytes:,} bytes of HTML, "
            f"{demo_plan.wire_bytes:,} on the wire",
            flush=True,
        )
        floor = floor_server(stack)
        skeleton = skeleton_server(stack, tmp, demo_plan)
        targets = [
            Target("floor: Starlette hello", floor.url("/"), floor=True, cpu=floor.cpu_seconds),
            Target(SKELETON_LABEL, skeleton.url("/"), cpu=skeleton.cpu_seconds, headers=GZIP),
        ]
        for seeded, statements, server in prepared:
            server.start()
            targets.append(
                signed_in_target(
                    f"tryg: GET /plans/{{id}}, {seeded.total_items:,} items",
                    server,
                    f"/plans/{seeded.plan_id}",
                    f"{seeded.cookie_name}={seeded.token}",
                    statements.csrf_cookie,
                )
            )
        quoted_target = targets[2 + SIZES.index(TARGET_ITEMS)]
        targets.append(
            dataclasses.replace(
                quoted_target,
                label=f"{quoted_target.label}, {LIGHT_CONNECTIONS} connections",
                connections=LIGHT_CONNECTIONS,
            )
        )
        section = run_http_section(
            "plans",
            "Plan pages: one typical plan among 100 to 100 000 items, next to the floor",
            targets,
            config,
            generator,
        )
        server_errors = {server.label: _error_lines(server) for _, _, server in prepared}
        # A 303 to /login counts as success for wrk and the Python generator alike: make sure
        # the session was still good at the end, so every row measured the plan page itself.
        after = {}
        for target in targets[2:-1]:
            _, port, path = loopback_only(target.url)
            after[target.label] = get_status(port, path, target.headers)

    section.columns = COLUMNS
    plan_rows = section.rows[2:-1]
    light = section.rows[-1]
    for row, (seeded, statements, _) in zip(plan_rows, prepared, strict=True):
        row.update(
            items=seeded.total_items,
            plans=seeded.plans,
            seed_s=round(seeded.seconds, 3),
            queries=statements.queries,
            begins=statements.begins,
            statements=statements.shape(),
            query_plans=statements.query_plans,
            page_bytes=statements.page_bytes,
            wire_bytes=statements.wire_bytes,
        )
    light.update({k: v for k, v in quoted_row(plan_rows).items() if k in LIGHT_KEYS})
    floor_rps = next(row["rps"] for row in section.rows if row["floor"])
    for row in section.rows:
        row["cpu_ms"] = _cpu_ms(row)
        # The harness rounds to 3 decimals; a plan page is far below the floor, so keep more.
        row["ratio"] = round(row["rps"] / floor_rps, 5) if floor_rps else None
    first = prepared[0][1]
    counts = {s.queries for _, s, _ in prepared}
    shapes = {tuple(s.shape()) for _, s, _ in prepared}
    same = len(counts) == 1 and len(shapes) == 1
    section.notes += [
        "each plan: 14 sections, 50 items (2 soft-deleted), text AES-GCM encrypted; the measured "
        f"victim's plan is one of them ({first.page_bytes / 1024:.0f} KiB page, "
        f"{first.wire_bytes / 1024:.1f} KiB gzip; victim session and CSRF cookies and "
        "Accept-Encoding: gzip as a returning browser sends them)",
        *_flatness_notes(plan_rows),
        "queries per plan page: "
        + ", ".join(f"{s.total_items:,} items: {st.queries}" for s, st, _ in prepared)
        + (" — the same at every size" if same else " — NOT the same at every size!")
        + f" (plus {first.begins} BEGIN; COMMIT/ROLLBACK are not cursor statements)",
        "statements: " + " | ".join(first.shape()),
        f"query plans at {prepared[-1][0].total_items:,} items (SQLite EXPLAIN QUERY PLAN):",
        *(f"  {line}" for line in prepared[-1][1].query_plans),
        "seed: one transaction, executemany in batches of 10 000, "
        + ", ".join(f"{s.total_items:,} items {s.seconds:.2f}s" for s, _, _ in prepared),
    ]
    for label, status in after.items():
        if status != 200:
            section.notes.append(
                f"{label}: answered {status} after the run, not 200: the "
                "session expired during the run, treat the row with care"
            )
    for label, lines in server_errors.items():
        section.notes += [f"{label} logged: {line}" for line in lines]
    floor_row = next(row for row in section.rows if row["floor"])
    quoted = quoted_row(plan_rows)
    section.notes += target_lines(floor_row, quoted, demo_plan, generator.name)
    section.notes += light_lines(light) + skeleton_lines(floor_row, section.rows[1])
    section.extra["sizes"] = list(SIZES)
    section.extra["demo_page"] = demo_plan.figures()
    return section
