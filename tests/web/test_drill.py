"""The kill -9 drill (issue 19 point 2): several clients add plan items through a real server,
the server is killed with SIGKILL in the middle of the burst and started again, the clients
carry on — and every write the server acknowledged (a 303) is in the database afterwards.

On SQLite (WAL, ``synchronous=FULL``) and PostgreSQL; about ten seconds each."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator

import httpx2
import pytest

from app import crypto
from tests.bench.servers import UvicornServer
from tests.running import csrf, prepared, signed_in_client, stored_texts

WRITERS = 4
BURST_S = 1.5  # writing before the kill, and again after the restart


class Writer(threading.Thread):
    """Adds items until told to stop; remembers every text the server acknowledged."""

    def __init__(self, n: int, client: httpx2.Client, path: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.n, self.client, self.path, self.stop = n, client, path, stop
        self.acked: list[str] = []
        self.failed = 0

    def run(self) -> None:
        seq = 0
        while not self.stop.is_set():
            seq += 1
            text = f"drill {self.n}-{seq}"
            try:
                r = self.client.post(self.path, data={"text": text, "csrftoken": csrf(self.client)})
            except httpx2.HTTPError:  # the server is down: try again shortly
                self.failed += 1
                time.sleep(0.05)
                continue
            if r.status_code == 303:
                self.acked.append(text)


@pytest.fixture
def server() -> Iterator[UvicornServer]:
    srv = UvicornServer("tryg", "app.main:app", ready_path="/healthz")
    srv.env.update(TRYG_ORIGIN=srv.base_url, TRYG_LOG_LEVEL="WARNING")
    yield srv
    srv.stop()


def drill(server: UvicornServer, url: str) -> None:
    plan_id, section_id = prepared(url)
    server.env["TRYG_DATABASE_URL"] = url
    server.start()
    clients = [signed_in_client(server.base_url) for _ in range(WRITERS)]
    stop = threading.Event()
    path = f"/plans/{plan_id}/sections/{section_id}/items"
    writers = [Writer(n, c, path, stop) for n, c in enumerate(clients)]
    for w in writers:
        w.start()
    try:
        time.sleep(BURST_S)
        before = sum(len(w.acked) for w in writers)
        assert server.proc is not None
        server.proc.send_signal(signal.SIGKILL)  # mid-burst: requests in flight
        server.proc.wait(timeout=10)
        server.start()  # the same port; the sessions are in the database
        time.sleep(BURST_S)
    finally:
        stop.set()
        for w in writers:
            w.join(timeout=10)
        for c in clients:
            c.close()
    acked = {text for w in writers for text in w.acked}
    assert before > 0 and len(acked) > before, "writes acknowledged before and after the kill"
    assert sum(w.failed for w in writers) > 0, "the kill happened while clients were writing"
    missing = acked - stored_texts(url)
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged writes were lost"


def test_no_acknowledged_write_is_lost_on_sqlite(server, tmp_path):
    assert crypto.configured()  # the server uses the same development data key
    drill(server, f"sqlite:///{tmp_path / 'drill.db'}")


@pytest.mark.postgres
def test_no_acknowledged_write_is_lost_on_postgres(server, postgres_url):
    drill(server, postgres_url)
