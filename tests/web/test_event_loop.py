"""One concurrency rule (issue 13 point 3): database work never runs on the event loop.

A listener on the engine notes every statement that runs in a thread with a running asyncio
loop (the loop thread); sync endpoints and ``run_in_threadpool`` run in worker threads, which
have none. Every route of the authorization matrix is called as a signed-in user of each role.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event

from tests.web.test_authorization import MATRIX, ROLES, _call, build_world


@pytest.fixture
def on_the_loop(client):
    engine = client.app.state.engine
    seen: list[str] = []

    def before(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        seen.append(statement.split("\n")[0][:80])

    event.listen(engine, "before_cursor_execute", before)
    yield seen
    event.remove(engine, "before_cursor_execute", before)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_no_route_touches_the_database_on_the_event_loop(client, on_the_loop, role):
    offenders = {}
    for (method, template), (_expected, data) in MATRIX.items():
        world = build_world(client)
        client.cookies.delete("tryg_session")
        client.cookies.set("tryg_session", world.tokens[role])
        on_the_loop.clear()
        _call(client, method, template, world, data)
        if on_the_loop:
            offenders[f"{method} {template}"] = on_the_loop[:2]
    assert not offenders, sorted(offenders)
