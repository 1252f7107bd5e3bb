"""The live stream over HTTP: authorised like the plan, ids only, replay, re-sync, a flood cap.

TestClient reads a response to its end, so these apps end streams at once (``live_stream_s=0``)
after their opening messages and any replay; the flood test runs a real server.
"""

from __future__ import annotations

import dataclasses
import re
from contextlib import ExitStack

import httpx2 as httpx
import pytest
from sqlmodel import select

from app import db
from app.auth import sessions
from app.auth.models import Role, User
from app.plans.models import Item
from tests.conftest import csrf_token
from tests.factories import engine_of, make_org, make_user, make_victim


def sign_in_as(client, user: User) -> None:  # type: ignore[no-untyped-def]
    with db.write_session(engine_of(client)) as s:
        token = sessions.start(s, client.app.state.settings, user, "pytest")
    client.cookies.set("tryg_session", token)


def plan_of(client, victim: User) -> tuple[int, Item]:  # type: ignore[no-untyped-def]
    with db.read_session(engine_of(client)) as s:
        item = s.exec(select(Item).where(Item.deleted_at == None)).first()  # noqa: E711
        assert item is not None
        return item.plan_id, item


def messages(body: str) -> list[dict[str, str]]:
    out = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            key, _, value = line.partition(":")
            fields[key] = value.strip()
        if fields:
            out.append(fields)
    return out


def test_the_victims_stream_opens_with_a_position_and_no_content(client):
    victim = make_victim(client)
    plan_id, item = plan_of(client, victim)
    sign_in_as(client, victim)
    r = client.get(f"/plans/{plan_id}/events")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["cache-control"] == "no-store"
    first = messages(r.text)[0]
    assert re.fullmatch(r"[0-9a-f]{8}\.\d+", first["id"]) and first["retry"] == "1000"
    assert item.text not in r.text and "Maja" not in r.text


def test_a_forged_subscription_gets_404(client):
    caseworker = make_user(client, Role.caseworker, "Anna", make_org(client))
    stranger = make_user(client, Role.caseworker, "Lars", make_org(client, "Kommunen"))
    victim = make_victim(client, caseworker=caseworker)
    plan_id, _ = plan_of(client, victim)
    sign_in_as(client, stranger)
    assert client.get(f"/plans/{plan_id}/events").status_code == 404
    assert client.get(f"/plans/{plan_id + 1000}/events").status_code == 404
    sign_in_as(client, caseworker)
    assert client.get(f"/plans/{plan_id}/events").status_code == 200
    client.cookies.delete("tryg_session")
    r = client.get(f"/plans/{plan_id}/events", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_a_reconnect_gets_what_it_missed_as_ids_and_versions(client):
    victim = make_victim(client)
    plan_id, item = plan_of(client, victim)
    sign_in_as(client, victim)
    position = messages(client.get(f"/plans/{plan_id}/events").text)[0]["id"]
    r = client.post(
        f"/plans/{plan_id}/items/{item.id}",
        data={
            "text": "Ny tekst, hemmelig",
            "version": item.version,
            "csrftoken": csrf_token(client),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    body = client.get(f"/plans/{plan_id}/events", headers={"Last-Event-ID": position}).text
    replay = [m for m in messages(body) if m.get("event", "").startswith("section-")]
    assert replay == [
        {
            "id": replay[0]["id"],
            "event": f"section-{item.section_id}",
            "data": (
                f'{{"plan":{plan_id},"kind":"section","section":{item.section_id},'
                f'"item":{item.id},"version":{item.version + 1}}}'
            ),
        }
    ]
    assert "hemmelig" not in body


def test_an_unknown_position_makes_the_page_resync(client):
    victim = make_victim(client)
    plan_id, _ = plan_of(client, victim)
    sign_in_as(client, victim)
    body = client.get(f"/plans/{plan_id}/events", headers={"Last-Event-ID": "deadbeef.7"}).text
    assert [m.get("event") for m in messages(body)][1] == "plan"


def test_presence_fragment_names_who_else_is_here(client):
    caseworker = make_user(client, Role.caseworker, "Anna", make_org(client, "Esbjerg Lokalpoliti"))
    victim = make_victim(client, caseworker=caseworker)
    plan_id, item = plan_of(client, victim)
    from app.live import presence  # the stream would add this row; here it is added directly

    stream = presence.join(engine_of(client), plan_id, caseworker.id)  # type: ignore[arg-type]
    sign_in_as(client, victim)
    r = client.get(f"/plans/{plan_id}/presence", headers={"HX-Request": "true"})
    assert "Anna, Esbjerg Lokalpoliti er her" in r.text
    assert "data-editing-item" not in r.text
    with db.write_session(engine_of(client)) as s:
        presence.editing(s, plan_id, caseworker.id, item.id)  # type: ignore[arg-type]
    r = client.get(f"/plans/{plan_id}/presence", headers={"HX-Request": "true"})
    assert f'data-editing-item="{item.id}"' in r.text
    assert "Anna, Esbjerg Lokalpoliti redigerer dette punkt" in r.text
    presence.leave(engine_of(client), stream)
    r = client.get(f"/plans/{plan_id}/presence", headers={"HX-Request": "true"})
    assert "Anna" not in r.text


def test_a_flood_of_streams_from_one_session_is_capped(settings):
    """A real server: four streams stay open, the fifth from the same session is refused in
    Danish, and another session is not affected."""
    from tests.browser.conftest import start_live_server

    live = start_live_server(
        lambda port: dataclasses.replace(
            settings, origin=f"http://localhost:{port}", live_stream_s=60
        )
    )
    try:
        engine = live.server.config.app.state.engine  # type: ignore[attr-defined]
        with db.write_session(engine) as s:
            from app.plans.queries import create_plan
            from app.plans.template import DEFAULT_TEMPLATE

            victim = User(role=Role.victim, display_name="Maja")
            s.add(victim)
            s.flush()
            plan_id = create_plan(s, victim, DEFAULT_TEMPLATE[:1], "da", None).id
            token = sessions.start(s, settings, victim, "pytest")
            other = sessions.start(s, settings, victim, "pytest")
        url = f"{live.url}/plans/{plan_id}/events"
        with ExitStack() as stack:
            clients = [
                stack.enter_context(httpx.Client(cookies={"tryg_session": token}, timeout=10))
                for _ in range(5)
            ]
            opened = [stack.enter_context(c.stream("GET", url)) for c in clients[:4]]
            assert [r.status_code for r in opened] == [200] * 4
            refused = clients[4].get(url)
            assert refused.status_code == 429
            assert "for mange vinduer" in refused.text
            c2 = stack.enter_context(httpx.Client(cookies={"tryg_session": other}, timeout=10))
            assert stack.enter_context(c2.stream("GET", url)).status_code == 200
        # Closed streams free their places.
        with httpx.Client(cookies={"tryg_session": token}, timeout=10) as c3:
            for _ in range(50):
                with c3.stream("GET", url) as again:
                    if again.status_code == 200:
                        break
            assert again.status_code == 200
    finally:
        live.stop()


@pytest.mark.parametrize("who", ["victim", "caseworker"])
def test_every_plan_write_is_announced_after_commit(client, who):
    caseworker = make_user(client, Role.caseworker, "Anna", make_org(client))
    victim = make_victim(client, caseworker=caseworker)
    plan_id, item = plan_of(client, victim)
    sign_in_as(client, victim if who == "victim" else caseworker)
    hub = client.app.state.broker.hub
    token = csrf_token(client)
    before = hub.position()
    base = f"/plans/{plan_id}"
    steps = [
        (f"{base}/items/{item.id}/done", {"version": item.version, "done": "1"}),
        (f"{base}/items/{item.id}/move", {"version": item.version + 1, "direction": "down"}),
        (f"{base}/sections/{item.section_id}/items", {"text": "Nyt"}),
        (f"{base}/items/{item.id}/delete", {"version": item.version + 2}),
        (f"{base}/items/{item.id}/restore", {"version": item.version + 3}),
        (f"{base}/sections", {"title": "Eget"}),
    ]
    for url, data in steps:
        r = client.post(url, data={**data, "csrftoken": token}, follow_redirects=False)
        assert r.status_code in (200, 303), (url, r.status_code)
    # A refused (stale) write announces nothing.
    client.post(
        f"{base}/items/{item.id}",
        data={"text": "x", "version": 1, "csrftoken": token},
        follow_redirects=False,
    )
    events = hub.since(plan_id, before)
    assert [e.kind for _, e in events] == ["section"] * 5 + ["plan"]
