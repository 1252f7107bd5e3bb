"""Issue 19: limits shared by every instance (Redis), the client address a trusted proxy reports,
and log lines that never carry a personal string."""

from __future__ import annotations

import json
import logging
import os
import secrets

import pytest
from sqlmodel import select

from app import audit, db, ratelimit
from app.audit import AuditEvent
from app.live.limits import StreamLimit
from app.ops import logs
from app.plans.models import Plan, Section
from tests.conftest import csrf_token
from tests.factories import engine_of, form, make_victim, signed_in

REDIS_ENV = "TRYG_TEST_REDIS_URL"
PROXY = "testclient"  # TestClient's own address plays the proxy


@pytest.fixture
def redis_url() -> str:
    """A Redis the instances share; skipped (with the reason) when none answers. `.ci/run`
    starts one."""
    url = os.environ.get(REDIS_ENV, "redis://127.0.0.1:6379/15")
    try:
        reachable = ratelimit.storage(url).check()
    except Exception as exc:
        pytest.skip(f"no Redis at {url} ({type(exc).__name__}); set {REDIS_ENV} or start one")
    if not reachable:
        pytest.skip(f"no Redis answers at {url}; set {REDIS_ENV} or start redis-server")
    return url


def wrong_password(client, username: str):
    return form(client, "/login/password", username=username, password="forkert forkert 1")


def test_the_eleventh_wrong_password_is_refused_whichever_instance_answers(make_client, redis_url):
    instances = [
        make_client(ratelimit_url=redis_url, forwarded_allow_ips=(PROXY,)) for _ in range(2)
    ]
    # A fresh budget in a Redis that outlives test runs: a new account and address each run.
    username = f"ukendt.{secrets.token_hex(4)}"
    for instance in instances:
        instance.headers["X-Forwarded-For"] = (
            f"10.{secrets.randbelow(250)}.0.{secrets.randbelow(250)}"
        )
    for attempt in range(10):
        r = wrong_password(instances[attempt % 2], username)
        assert r.status_code == 400, "tries 1-10 get the ordinary wrong-password page"
    for instance in instances:
        r = wrong_password(instance, username)
        assert r.status_code == 429 and "For mange forsøg" in r.text


def test_without_shared_storage_each_process_counts_alone(make_client):
    """What TRYG_RATELIMIT_URL is for (and what `python -m app check` warns about)."""
    a, b = make_client(), make_client()
    for _ in range(10):
        wrong_password(a, "per.proces")
    assert wrong_password(a, "per.proces").status_code == 429
    assert wrong_password(b, "per.proces").status_code == 400


def test_the_stream_cap_is_shared_by_every_instance(make_client, redis_url):
    app = make_client(ratelimit_url=redis_url).app
    assert app.state.stream_limit.storage is app.state.limiter.storage  # both in Redis
    assert type(app.state.limiter.storage).__name__ == "RedisStorage"
    session_id = secrets.randbelow(10**9)
    a, b = (StreamLimit(2, ratelimit.storage(redis_url), expiry_s=60) for _ in range(2))
    assert a.acquire(session_id) and b.acquire(session_id)
    assert not a.acquire(session_id) and not b.acquire(session_id)
    a.release(session_id)
    assert b.acquire(session_id)
    assert a.open(session_id) == 2


# ------------------------------------------------------------------ behind a proxy


def sign_in_tries(client, forwarded_for: str, n: int) -> list[int]:
    return [
        form(
            client,
            "/login/password",
            headers={"X-Forwarded-For": forwarded_for},
            username=f"u{secrets.token_hex(3)}",  # a new account each time: only the IP counts
            password="forkert forkert 1",
        ).status_code
        for _ in range(n)
    ]


def test_a_trusted_proxy_gives_every_client_its_own_budget(make_client):
    client = make_client(forwarded_allow_ips=(PROXY,))
    assert set(sign_in_tries(client, "203.0.113.7", 20)) == {400}
    assert sign_in_tries(client, "203.0.113.7", 1) == [429]
    assert sign_in_tries(client, "198.51.100.9", 1) == [400], "one blocked client blocks no one"


@pytest.mark.parametrize("trusted", [(), ("10.0.0.1",)], ids=["no proxy", "another proxy"])
def test_forwarded_headers_from_anyone_else_are_ignored(make_client, trusted):
    client = make_client(forwarded_allow_ips=trusted)  # a client cannot pick its own address
    statuses = [sign_in_tries(client, f"203.0.113.{n}", 1)[0] for n in range(21)]
    assert statuses[:20] == [400] * 20 and statuses[20] == 429


def test_the_audit_hashes_the_address_the_proxy_reports(make_client, settings):
    for trusted, expected in (((PROXY,), "203.0.113.7"), ((), "testclient")):
        client = make_client(forwarded_allow_ips=trusted)
        r = client.post(
            "/enrol/options",
            json={"code": "ACDEF-GHJKM"},
            headers={"X-CSRFToken": csrf_token(client), "X-Forwarded-For": "203.0.113.7"},
        )
        assert r.status_code == 400
        with db.read_session(engine_of(client)) as session:
            row = session.exec(select(AuditEvent).where(AuditEvent.action == "code_refused")).all()[
                -1
            ]
        assert row.ip_hash == audit.hash_ip(settings.secret_key, expected)


# ------------------------------------------------------------------ logs


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logs.JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith("httpx"):  # the test's own client, not the app
            self.lines.append(self.format(record))


@pytest.fixture
def captured():
    handler, root = Capture(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(level)


def test_no_personal_string_reaches_the_log(make_client, captured):
    client = make_client(forwarded_allow_ips=(PROXY,))
    client.headers["X-Forwarded-For"] = "203.0.113.77"
    victim = make_victim(client, name="Karoline Særligtnavn")
    signed_in(client, victim)
    with db.read_session(engine_of(client)) as session:
        plan = session.exec(select(Plan).where(Plan.victim_id == victim.id)).one()
        section = session.exec(select(Section).where(Section.plan_id == plan.id)).first()
    base = f"/plans/{plan.id}"
    r = form(client, f"{base}/sections/{section.id}/items", text="Gudrun ved alt om Vestergade 17")
    assert r.status_code == 303, r.text
    r = form(client, f"{base}/contacts", name="Gudrun Hemmeligsen", phone="20 30 40 50")
    assert r.status_code == 303, r.text
    assert "Vestergade" in client.get(base).text
    client.get(f"{base}/print?q=Vestergade")
    wrong_password(client, "karoline.brugernavn")
    client.get("/no-such-page/Gudrun")

    text = "\n".join(captured).lower()
    personal = [
        "Karoline",
        "Særligtnavn",
        "Gudrun",
        "Vestergade",
        "Hemmeligsen",
        "20304050",
        "karoline.brugernavn",
        "203.0.113.77",
        "testclient",
    ]
    assert [p for p in personal if p.lower() in text] == []
    requests = [json.loads(line) for line in captured if '"tryg.request"' in line]
    assert len(requests) >= 6
    for line in requests:
        assert set(line) >= {"time", "level", "request_id", "route", "status", "duration_ms"}
    secret = client.app.state.settings.secret_key
    assert {line["user"] for line in requests if line["user"]} == {
        logs.user_hash(secret, victim.id)  # type: ignore[arg-type]
    }
    assert {"plan", "add_item", "add_contact", "print_page"} <= {line["route"] for line in requests}
    assert any(line["status"] == 404 and line["route"] == "-" for line in requests)
