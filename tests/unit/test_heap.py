"""The served app hands its startup objects to ``gc.freeze`` (a full collection walked them all:
a ~100 ms pause every few hundred requests, the plan page's whole p99 at light load; `make
bench`, section plans). An app made by a test does not: a frozen app would never be freed."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

from starlette.testclient import TestClient

from app.main import create_app
from app.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SERVED = """
import gc, json
from starlette.testclient import TestClient
before = gc.get_freeze_count()
from app.main import app
with TestClient(app) as client:
    status = client.get("/healthz").status_code
    print(json.dumps({"before": before, "frozen": gc.get_freeze_count(), "status": status}))
"""


def test_the_served_app_freezes_what_startup_built(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRYG_")}
    env["TRYG_DATABASE_URL"] = f"sqlite:///{tmp_path / 'tryg.db'}"
    done = subprocess.run(
        [sys.executable, "-c", SERVED],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["status"] == 200
    assert found["before"] == 0 and found["frozen"] > 50_000, found


def test_an_app_made_in_a_test_leaves_the_heap_alone(tmp_path):
    before = gc.get_freeze_count()
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'tryg.db'}")
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
    assert gc.get_freeze_count() == before
