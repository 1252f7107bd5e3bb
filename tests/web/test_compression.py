"""Compressed responses, and BREACH: no page carries the CSRF secret unchanged.

Every response carries the CSRF cookie's secret masked with a fresh pad, so a compressed body
never repeats a secret across responses next to text an attacker can put in the page.
"""

from __future__ import annotations

import re

from app.security import mask_token, token_matches
from tests.conftest import csrf_token
from tests.factories import make_victim, signed_in
from tests.web.test_live import plan_of

FIELD = re.compile(r'name="csrftoken" value="([^"]+)"')


def hidden_field(html: str) -> str:
    values = set(FIELD.findall(html))
    assert len(values) == 1, values
    return values.pop()


def change_language(client, token: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/language",
        data={"lang": "en", "next": "/", "csrftoken": token},
        follow_redirects=False,
    )


def test_two_responses_carry_different_tokens_and_both_are_accepted(client):
    csrf_token(client)  # the cookie exists: both pages belong to the same visitor
    first = hidden_field(client.get("/").text)
    second = hidden_field(client.get("/").text)
    assert first != second
    assert change_language(client, first).status_code == 303
    assert change_language(client, second).status_code == 303


def test_the_htmx_header_takes_the_masked_token_too(client):
    csrf_token(client)
    token = hidden_field(client.get("/").text)
    r = client.post(
        "/language",
        data={"lang": "en", "next": "/"},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
        follow_redirects=False,
    )
    assert r.status_code != 403


def test_a_wrong_masked_token_is_refused(client, make_client):
    cookie = csrf_token(client)
    token = hidden_field(client.get("/").text)
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    assert change_language(client, flipped).status_code == 403
    # Well-formed, but the secret of another visitor's cookie.
    other = make_client()
    assert change_language(client, mask_token(csrf_token(other))).status_code == 403
    assert change_language(client, token[:-4]).status_code == 403  # truncated
    assert not token_matches(cookie, "")


def victims_plan(client) -> int:  # type: ignore[no-untyped-def]
    victim = make_victim(client)
    signed_in(client, victim)
    return plan_of(client, victim)[0]


def test_the_plan_page_is_gzip_encoded_when_the_client_accepts_it(client):
    plan_id = victims_plan(client)
    r = client.get(f"/plans/{plan_id}", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in r.headers["vary"].lower()
    assert len(r.content) > int(r.headers["content-length"])  # decoded > on the wire
    plain = client.get(f"/plans/{plan_id}", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers


def test_the_event_stream_is_never_compressed(client):
    plan_id = victims_plan(client)
    r = client.get(f"/plans/{plan_id}/events", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    assert "content-encoding" not in r.headers
