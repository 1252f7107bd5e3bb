"""deploy/nginx.conf in front of two instances on PostgreSQL (issue 19 point 4): a sign-in and a
live edit through it, and both instances restarted one after the other while a client keeps
working — no request fails, and the open live stream reconnects and re-syncs (no event lost)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator

import httpx2
import pytest

from tests import nginx
from tests.bench.servers import UvicornServer, free_port
from tests.running import csrf, prepared, signed_in_client

pytestmark = pytest.mark.postgres


@pytest.fixture
def nginx_installed() -> None:
    if not nginx.runnable():
        pytest.skip("nginx cannot run here; `.ci/run` installs Debian's nginx")


class Stream(threading.Thread):
    """A page's live stream: reads events, and reconnects with Last-Event-ID when it ends."""

    def __init__(self, client: httpx2.Client, path: str) -> None:
        super().__init__(daemon=True)
        self.client, self.path = client, path
        self.stop = threading.Event()
        self.events: list[str] = []  # "open" at each (re)connect, then the event names
        self.refused: list[int] = []  # a reconnect answered with anything but 200
        self.ended: list[str] = []  # how streams ended other than by the server's own close
        self.last_id = ""

    def run(self) -> None:
        while not self.stop.is_set():
            headers = {"Accept": "text/event-stream"}
            if self.last_id:
                headers["Last-Event-ID"] = self.last_id
            try:
                with self.client.stream("GET", self.path, headers=headers) as r:
                    if r.status_code != 200:
                        self.refused.append(r.status_code)
                        continue
                    self.events.append("open")
                    name = ""
                    for line in r.iter_lines():
                        if line.startswith("id:"):
                            self.last_id = line[3:].strip()
                        elif line.startswith("event:"):
                            name = line[6:].strip()
                        elif line == "" and name:
                            self.events.append(name)
                            name = ""
                        if self.stop.is_set():
                            return
            except httpx2.HTTPError as exc:  # the instance went away mid-stream: reconnect
                self.ended.append(type(exc).__name__)
            time.sleep(0.2)

    def wait_for(self, name: str, after: int = 0, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if name in self.events[after:]:
                return self.events.index(name, after)
            time.sleep(0.05)
        raise AssertionError(
            f"no {name!r} event after #{after}: {self.events} {self.refused} {self.ended}"
        )


class Worker(threading.Thread):
    """Someone using the plan through nginx the whole time: reads and adds items."""

    def __init__(self, client: httpx2.Client, plan: str, add: str) -> None:
        super().__init__(daemon=True)
        self.client, self.plan, self.add = client, plan, add
        self.stop = threading.Event()
        self.statuses: list[int] = []

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            r = self.client.post(
                self.add, data={"text": f"under genstart {n}", "csrftoken": csrf(self.client)}
            )
            self.statuses.append(r.status_code)
            self.statuses.append(self.client.get(self.plan).status_code)
            time.sleep(0.05)


@pytest.fixture
def instances(postgres_url) -> Iterator[list[UvicornServer]]:
    servers = [UvicornServer(f"tryg-{n}", "app.main:app", ready_path="/readyz") for n in "ab"]
    yield servers
    for server in servers:
        server.stop()


def restart(server: UvicornServer) -> None:
    assert server.proc is not None
    server.proc.terminate()
    server.proc.wait(timeout=20)
    server.start()


def test_two_instances_behind_nginx_survive_a_rolling_restart(
    nginx_installed, instances, postgres_url, tmp_path
):
    plan_id, section_id = prepared(postgres_url)
    https_port = free_port()
    origin = f"https://127.0.0.1:{https_port}"
    for server in instances:
        server.env.update(
            TRYG_DATABASE_URL=postgres_url,
            TRYG_ORIGIN=origin,
            TRYG_FORWARDED_ALLOW_IPS="127.0.0.1",
            TRYG_LOG_LEVEL="WARNING",
        )
        server.start()
    stream = worker = None
    ports = [s.port for s in instances]
    with nginx.running(tmp_path, ports, free_port(), https_port) as log:
        try:
            client = signed_in_client(origin, verify=False)
            plan, add = f"/plans/{plan_id}", f"/plans/{plan_id}/sections/{section_id}/items"
            stream = Stream(client, f"{plan}/events")
            stream.start()
            stream.wait_for("open")
            token = csrf(client)
            r = client.post(add, data={"text": "Gennem nginx", "csrftoken": token})
            assert r.status_code == 303
            stream.wait_for(f"section-{section_id}")
            assert "Gennem nginx" in client.get(plan).text

            worker = Worker(signed_in_client(origin, verify=False), plan, add)
            worker.start()
            opened = stream.events.count("open")
            for server in instances:  # one at a time: the other one answers meanwhile
                restart(server)
                time.sleep(1.0)
            worker.stop.set()
            worker.join(timeout=15)
            assert worker.statuses and set(worker.statuses) <= {200, 303}, worker.statuses
            assert stream.refused == [], "every reconnect of the stream was answered"

            # The stream's instance went away: it reconnected, and the other process could not
            # replay what it missed, so it said "plan" (the page re-fetches everything).
            assert stream.events.count("open") > opened
            reconnected = len(stream.events) - 1 - stream.events[::-1].index("open")
            stream.wait_for("plan", after=reconnected)
            mark = len(stream.events)
            r = client.post(add, data={"text": "Efter genstart", "csrftoken": token})
            assert r.status_code == 303
            stream.wait_for(f"section-{section_id}", after=mark)
            assert re.search("Efter genstart", client.get(plan).text)
        finally:
            for thread in (stream, worker):
                if thread is not None:
                    thread.stop.set()
            print(log.read_text()[-3000:] if log.exists() else "")
