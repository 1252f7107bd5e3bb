"""The stalking log (issue 16): the time to save a quick entry (the whole request, in process),
and an export of 1,000 entries with 50 bilag (time and peak Python memory of the ZIP stream).

Baseline in the same run: SHA-256 over the same bilag bytes (the export cannot go below
reading every bilag once to check its hash, and once more to send it).
"""

from __future__ import annotations

import hashlib
import os
import re
import statistics
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

from starlette.requests import Request
from starlette.testclient import TestClient

from app import db
from app.auth import sessions
from app.auth.models import Role, User
from app.clock import now
from app.diary import evidence as files
from app.diary import export
from app.diary.forms import local_input
from app.diary.models import DiaryEntry, Evidence
from app.main import create_app
from app.web import render_text
from tests.bench.harness import Column, Config, SectionResult
from tests.bench.load import Generator
from tests.bench.plans import bench_settings

ENTRIES = 1000
BILAG = 50
BILAG_BYTES = 1024 * 1024
QUICK_RUNS = 40
COLUMNS = [
    Column("what", "what", align="<"),
    Column("median_ms", "median ms", "{:.1f}"),
    Column("p90_ms", "p90 ms", "{}"),
    Column("peak_mib", "peak MiB", "{}"),
]


def _seed(engine, victim_id: int) -> None:  # type: ignore[no-untyped-def]
    start = now()
    with db.write_session(engine) as session:
        for i in range(ENTRIES):
            session.add(
                DiaryEntry(
                    victim_id=victim_id,
                    happened_at=start - timedelta(hours=i),
                    what=f"Han stod ved lågen igen, gang nr. {i}. " * 4,
                    place="Kongensgade, Esbjerg",
                    witnesses="Naboen Søren",
                    key_example=i % 250 == 0,
                )
            )
        session.flush()
    for n in range(1, BILAG + 1):
        data = b"\xff\xd8\xff\xe0" + os.urandom(BILAG_BYTES - 4)
        with db.write_session(engine) as session:
            row = Evidence(
                victim_id=victim_id,
                number=n,
                entry_id=n,
                description=f"Skærmbillede {n}",
                kind="jpeg",
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
            )
            session.add(row)
            session.flush()
            files.store(session, row.id, data)  # type: ignore[arg-type]


def run(config: Config, generator: Generator) -> SectionResult:
    with tempfile.TemporaryDirectory() as tmp:
        settings = bench_settings(Path(tmp) / "diary.db", 8000)
        app = create_app(settings)
        with TestClient(app, follow_redirects=False) as client:
            engine = app.state.engine
            with db.write_session(engine) as session:
                victim = User(role=Role.victim, display_name="Maja")
                session.add(victim)
                session.flush()
                victim_id: int = victim.id  # type: ignore[assignment]
                token = sessions.start(session, settings, victim, "bench")
            client.cookies.set(sessions.cookie_name(settings), token)
            page = client.get("/diary")
            csrf = re.search(r'name="csrftoken" value="([^"]+)"', page.text)
            assert csrf is not None
            samples = []
            for i in range(QUICK_RUNS):
                form = {
                    "csrftoken": csrf[1],
                    "what": f"Hurtigt notat {i}",
                    "when": local_input(now()),
                }
                began = time.perf_counter()
                saved = client.post("/diary", data=form)
                samples.append((time.perf_counter() - began) * 1000)
                assert saved.status_code == 303, saved.status_code
            rows = [
                {
                    "what": "save a quick entry (POST /diary, whole request)",
                    "median_ms": statistics.median(samples),
                    "p90_ms": round(statistics.quantiles(samples, n=10)[-1], 1),
                    "peak_mib": "-",
                }
            ]
            _seed(engine, victim_id)
            scope = {
                "type": "http",
                "method": "GET",
                "path": "/diary/export.zip",
                "query_string": b"",
                "headers": [],
                "app": app,
                "state": {},
            }
            request = Request(scope)

            def build() -> tuple[int, float]:
                began = time.perf_counter()
                with db.read_session(engine) as session:
                    chosen = export.gather(session, request, victim_id)
                    assert export.unchanged(session, chosen.bilag)
                    page_text = render_text(
                        request, "diary/export_file.html", export.context(chosen, preview=False)
                    )
                table = export.csv_text(chosen)
                sent = sum(
                    len(part) for part in export.zip_stream(engine, chosen, page_text, table)
                )
                return sent, (time.perf_counter() - began) * 1000

            total, elapsed = build()
            tracemalloc.start()
            build()
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rows.append(
                {
                    "what": f"export ZIP: {ENTRIES:,} entries, {BILAG} bilag of 1 MiB "
                    f"({total / 2**20:.0f} MiB)",
                    "median_ms": elapsed,
                    "p90_ms": "-",
                    "peak_mib": round(peak / 2**20, 1),
                }
            )
            began = time.perf_counter()
            with db.read_session(engine) as session:
                rows_bilag = session.query(Evidence).all()
                for b in rows_bilag:
                    digest = hashlib.sha256()
                    for chunk in files.chunks(session, b):
                        digest.update(chunk)
            rows.append(
                {
                    "what": "baseline: decrypt + SHA-256 of the 50 bilag once",
                    "median_ms": (time.perf_counter() - began) * 1000,
                    "p90_ms": "-",
                    "peak_mib": "-",
                }
            )
    section = SectionResult("diary", "The stalking log (in process, SQLite)", COLUMNS, rows)
    section.notes.append(
        "the export reads every bilag twice: the hash check before the first byte, then the send"
    )
    section.notes.append("peak MiB: Python allocations (tracemalloc) while the ZIP is streamed")
    return section
