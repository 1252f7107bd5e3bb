"""The caseload with the handleplan's due list (issue 17): a caseworker with 10 and with 200
cases of 20 agreed actions each (plus a meeting and a legal step per case), ``GET /people``
served by uvicorn next to the bare Starlette floor of the same run, and the number of queries
the page costs at each size (in process, counted on the app's engine): it must be the same.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from app import crypto, db
from app.actions.models import Action, LegalStep, Meeting, Status, Who
from app.auth import sessions
from app.auth.models import Organisation, Role, User
from app.clock import now
from app.main import create_app
from app.plans.models import Grant, Plan
from app.settings import Settings
from tests.bench.foundation import floor_server, tryg_env
from tests.bench.harness import Column, Config, SectionResult, Target, run_http_section
from tests.bench.load import Generator
from tests.bench.plans import CSRF_COOKIE, GZIP, _short, bench_settings, signed_in_target
from tests.bench.servers import UvicornServer

SIZES = (10, 200)  # cases in the caseload
# A caseload is opened by one caseworker at a time, not by fifty at once: few connections, so
# p99 is the page's own time rather than a queue in front of the one worker.
CONNECTIONS = 4
ACTIONS_PER_CASE = 20
STATUSES = [Status.agreed, Status.started, Status.done, Status.dropped]
COLUMNS = [
    Column("endpoint", "endpoint", align="<"),
    Column("queries", "queries", "{}"),
    Column("rps", "req/s", "{:,.0f}"),
    Column("p50_ms", "p50 ms", "{:.2f}"),
    Column("p99_ms", "p99 ms", "{:.2f}"),
    Column("ratio", "ratio to floor", "{:.4f}"),
    Column("failed", "errors", "{:,}"),
]


@dataclass
class Seeded:
    cases: int
    token: str
    cookie_name: str
    seconds: float
    queries: int = 0
    shape: list[str] = field(default_factory=list)
    csrf_cookie: str = ""


def seed(settings: Settings, cases: int) -> Seeded:
    """A fresh database: one caseworker, ``cases`` victims whose plans are granted to her, each
    with 20 actions due from ten days ago to three weeks ahead in every status, a meeting in
    two days and a strakstilhold whose decision falls due."""
    crypto.configure(crypto.Cipher.from_settings(settings))
    engine = db.make_engine(settings.database_url)
    try:
        db.migrate(engine)
        started = time.perf_counter()
        with db.write_session(engine) as session:
            moment, today = now(), now().date()
            org = Organisation(name="Esbjerg Kommune", kind="kommune")
            session.add(org)
            session.flush()
            anna = User(
                role=Role.caseworker, display_name="Anna", organisation_id=org.id, locale="da"
            )
            session.add(anna)
            session.flush()
            for n in range(cases):
                victim = User(role=Role.victim, display_name=f"Borger {n}", locale="da")
                session.add(victim)
                session.flush()
                plan = Plan(victim_id=victim.id)  # type: ignore[arg-type]
                session.add(plan)
                session.flush()
                session.add(Grant(plan_id=plan.id, caseworker_id=anna.id))  # type: ignore[arg-type]
                session.add_all(
                    Action(
                        plan_id=plan.id,  # type: ignore[arg-type]
                        what=f"Aftale {i} i sag {n}",
                        note="Ring først",
                        who=Who.victim if i % 3 == 0 else Who.police,
                        due=today + timedelta(days=i - 10),
                        status=STATUSES[i % len(STATUSES)],
                    )
                    for i in range(ACTIONS_PER_CASE)
                )
                session.add(Meeting(plan_id=plan.id, at=moment + timedelta(days=2)))  # type: ignore[arg-type]
                session.add(
                    LegalStep(
                        plan_id=plan.id,  # type: ignore[arg-type]
                        kind="interim",
                        started=today - timedelta(days=50 + n % 20),
                    )
                )
            token = sessions.start(session, settings, anna, "bench")
        return Seeded(cases, token, sessions.cookie_name(settings), time.perf_counter() - started)
    finally:
        engine.dispose()


def count_statements(settings: Settings, seeded: Seeded) -> None:
    """``GET /people`` in process after one warm request, counting cursor executions."""
    app = create_app(settings)
    captured: list[str] = []

    def listener(conn, cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        captured.append(statement)

    with TestClient(app, follow_redirects=False) as client:
        client.cookies.set(seeded.cookie_name, seeded.token)
        warm = client.get("/people")
        if warm.status_code != 200 or "due-soon" not in warm.text:
            raise RuntimeError(f"in-process GET /people answered {warm.status_code}")
        seeded.csrf_cookie = warm.cookies.get(CSRF_COOKIE) or ""
        if seeded.csrf_cookie:
            client.cookies.set(CSRF_COOKIE, seeded.csrf_cookie)
        engine: Engine = app.state.engine
        event.listen(engine, "before_cursor_execute", listener)
        try:
            page = client.get("/people", headers=GZIP)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert page.status_code == 200
    seeded.shape = [_short(s) for s in captured]
    seeded.queries = sum(1 for s in captured if not s.lstrip().upper().startswith("BEGIN"))


def run(config: Config, generator: Generator) -> SectionResult:
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tryg-bench-cases-")))
        prepared: list[tuple[Seeded, UvicornServer]] = []
        for cases in SIZES:
            db_path = tmp / f"caseload-{cases}.db"
            server = UvicornServer(f"tryg ({cases} cases)", "app.main:app", ready_path="/healthz")
            stack.callback(server.stop)
            server.env.update(tryg_env(db_path, server.port))
            settings = bench_settings(db_path, server.port)
            seeded = seed(settings, cases)
            count_statements(settings, seeded)
            print(
                f"  {cases} cases x {ACTIONS_PER_CASE} actions seeded in {seeded.seconds:.2f}s; "
                f"queries per caseload page: {seeded.queries}",
                flush=True,
            )
            prepared.append((seeded, server))
        floor = floor_server(stack)
        targets = [
            Target("floor: Starlette hello", floor.url("/"), floor=True, cpu=floor.cpu_seconds)
        ]
        for seeded, server in prepared:
            server.start()
            targets.append(
                signed_in_target(
                    f"tryg: GET /people, {seeded.cases} cases x {ACTIONS_PER_CASE} actions",
                    server,
                    "/people",
                    f"{seeded.cookie_name}={seeded.token}",
                    seeded.csrf_cookie,
                )
            )
        section = run_http_section(
            "caseload",
            "The caseload's due list: 10 and 200 cases of 20 actions, next to the floor",
            targets,
            dataclasses.replace(config, connections=min(config.connections, CONNECTIONS)),
            generator,
        )
    section.columns = COLUMNS
    rows = [row for row in section.rows if not row["floor"]]
    for row, (seeded, _server) in zip(rows, prepared, strict=True):
        row["queries"] = seeded.queries
    floor_rps = next(row["rps"] for row in section.rows if row["floor"])
    for row in section.rows:
        row.setdefault("queries", "-")
        row["ratio"] = round(row["rps"] / floor_rps, 5) if floor_rps else None
    counts = [s.queries for s, _ in prepared]
    flat = len(set(counts)) == 1 and len({tuple(s.shape) for s, _ in prepared}) == 1
    section.notes += [
        "queries per caseload page: "
        + ", ".join(f"{s.cases} cases: {s.queries}" for s, _ in prepared)
        + (" — the same at every size" if flat else " — NOT the same at every size!"),
        "statements: " + " | ".join(prepared[0][0].shape),
        f"{CONNECTIONS} connections at most (one caseworker opens her caseload at a time)",
        "p99 next to the floor: "
        + ", ".join(f"{row['endpoint']}: {row['p99_ms']:.2f} ms" for row in section.rows),
    ]
    section.extra["sizes"] = list(SIZES)
    return section


def quick(cases: int = SIZES[-1]) -> dict[str, Any]:
    """Seed and count in process only (no servers): for a quick look."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = bench_settings(Path(tmp) / "caseload.db", 8000)
        seeded = seed(settings, cases)
        count_statements(settings, seeded)
        return {"cases": cases, "queries": seeded.queries, "seed_s": seeded.seconds}
