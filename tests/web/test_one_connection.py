"""The connection pool can never deadlock: no thread holds more connections at once than the
pool has for it (app/db.py: every read shares the thread's open session; only an audited read
writes its row in a short write of its own), and the pool has that many for every thread.

Before, a plan page held one connection and took a second for the template's kept drafts: a
crowd of 50 left every worker holding one and waiting for another until the pool's timeout
(wrk saw 1–2 s answers, then timeouts). A listener notes, per thread, how many connections are
checked out at once while every route of the authorization matrix is called by every role.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from anyio import to_thread
from sqlalchemy import event

from app import db
from tests.web.test_authorization import MATRIX, ROLES, _call, build_world


@pytest.fixture
def nested(client):
    pool = client.app.state.engine.pool
    held: Counter[int] = Counter()
    seen: list[int] = []

    def checkout(*_args):  # type: ignore[no-untyped-def]
        me = threading.get_ident()
        held[me] += 1
        seen.append(held[me])

    def checkin(*_args):  # type: ignore[no-untyped-def]
        held[threading.get_ident()] -= 1

    event.listen(pool, "checkout", checkout)
    event.listen(pool, "checkin", checkin)
    yield seen
    event.remove(pool, "checkout", checkout)
    event.remove(pool, "checkin", checkin)


@pytest.mark.parametrize("role", ROLES)
def test_no_thread_holds_more_connections_than_the_pool_keeps_for_it(client, nested, role):
    offenders = {}
    for (method, template), (_expected, data) in MATRIX.items():
        # Her own reading pages (the busiest) hold one; a read that writes a row of its own
        # (a caseworker's read in the audit, an open editor's mark) holds two.
        reading = method == "GET" and not template.endswith("/edit")
        most = 1 if role in ("anonymous", "victim") and reading else db.CONNECTIONS_PER_THREAD
        world = build_world(client)
        client.cookies.delete("tryg_session")
        if role != "anonymous":
            client.cookies.set("tryg_session", world.tokens[role])
        nested.clear()
        _call(client, method, template, world, data)
        if max(nested, default=0) > most:
            offenders[f"{method} {template}"] = max(nested)
    assert not offenders, sorted(offenders)


def test_the_pool_has_room_for_every_thread(client):
    threads = client.portal.call(lambda: to_thread.current_default_thread_limiter().total_tokens)
    pool = client.app.state.engine.pool
    assert threads == db.THREADS
    assert pool.size() + max(pool._max_overflow, 0) >= threads * db.CONNECTIONS_PER_THREAD
