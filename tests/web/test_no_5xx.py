"""No malformed request reaches a 500 (issue 13 point 6), on SQLite and on PostgreSQL.

Every route of the authorization matrix, as every role, gets malformed input drawn by
hypothesis: ids out of range or in odd digits, junk versions, text with NUL and control
characters, JSON that is deep, huge, of the wrong type or a credential of the wrong shape, odd
query strings and ``Last-Event-ID`` headers. Whatever the answer (400, 403, 404, 409, 422,
429 …), it is never a 5xx. The requests carry a valid CSRF token so they reach the handlers.
Derandomized, so CI sees the same examples every run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.conftest import csrf_token
from tests.web.test_authorization import MATRIX, ROLES, build_world

# A few examples per route (each sends one request per role): derandomized for CI, no deadline
# (a request builds pages), function-scoped fixtures shared on purpose, and no shrinking (one
# step would send a request per role again; the assertion names the request).
EXAMPLES = settings(
    max_examples=3,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the failing request is reported
)
PLACEHOLDER = re.compile(r"\{(\w+)\}")

# Routes that end the caller's session or remove what later routes use come last, so one world
# serves a whole pass over the matrix.
_LAST = ("logout", "sign-out", "end", "delete", "disable", "reset")
ROUTES = sorted(MATRIX, key=lambda k: any(w in k[1] for w in _LAST))

UNICODE_DIGITS = "²³¹٠١٢३४๕߁𝟘𝟙"
bad_numbers = st.one_of(
    st.sampled_from(
        ["0", "00", "-1", "+1", " 1", "1 ", "1.0", "1e3", "0x10", "1_0", "", "²", "1²", "١٢"]
    ),
    st.integers(min_value=2**31 - 1, max_value=2**80).map(str),
    st.text(alphabet="0123456789" + UNICODE_DIGITS, min_size=1, max_size=40),
)
evil_text = st.one_of(
    st.sampled_from(["\x00", "a\x00b", "\t", "\x1b[2J", "\x7f", "\x85", "\r", "\n\n", "\u2028"]),
    st.text(max_size=60),
    st.text(alphabet=st.characters(max_codepoint=0x9F), max_size=30),
    st.just("x" * 5000),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
credential_parts = st.one_of(json_values, st.sampled_from(["", "AAAA", "!!", "é", "A" * 30_000]))


@st.composite
def json_bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["deep", "value", "credential", "bytes"]))
    if kind == "deep":
        n = draw(st.integers(min_value=9, max_value=30_000))
        opener = draw(st.sampled_from(["[", '{"a":']))
        closer = "]" if opener == "[" else "}"
        return (opener * n + "1" + closer * n).encode()
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "value":
        return json.dumps(draw(json_values)).encode()
    response = draw(
        st.one_of(
            credential_parts,
            st.fixed_dictionaries(
                {},
                optional={
                    k: credential_parts
                    for k in [
                        "clientDataJSON",
                        "authenticatorData",
                        "signature",
                        "userHandle",
                        "attestationObject",
                        "transports",
                    ]
                },
            ),
        )
    )
    credential = {
        "id": draw(credential_parts),
        "rawId": draw(credential_parts),
        "type": draw(st.sampled_from(["public-key", "x", None])),
        "response": response,
    }
    payload = {"handle": draw(credential_parts), "credential": credential}
    payload |= draw(st.dictionaries(st.sampled_from(["code", "nickname"]), credential_parts))
    return json.dumps(payload).encode()


@st.composite
def requests(draw: st.DrawFn, method: str, template: str, data: object) -> dict[str, Any]:
    """One malformed request for a matrix row: path, body and headers (no CSRF token yet)."""
    kinds = ["query"]
    if PLACEHOLDER.search(template):
        kinds += ["id", "id"]
    if isinstance(data, dict):
        kinds += ["version", "text", "text"]
    if data == "json":
        kinds += ["json", "json"]
    if template.endswith("/events"):
        kinds += ["last_event_id"]
    kind = draw(st.sampled_from(kinds))
    request: dict[str, Any] = {"template": template, "ids": {}, "headers": {}, "query": ""}
    if kind == "id":
        name = draw(st.sampled_from(PLACEHOLDER.findall(template)))
        request["ids"][name] = quote(draw(bad_numbers), safe="")
    if kind == "query":
        field = draw(st.sampled_from(["deleted", "next", "closed", "seen", "version"]))
        value = draw(st.one_of(bad_numbers, evil_text))
        request["query"] = f"?{field}={quote(value, safe='')}"
    if kind == "last_event_id":
        value = draw(st.one_of(bad_numbers, st.text(alphabet=st.characters(max_codepoint=255))))
        header = "1." + value  # Starlette reads header bytes as Latin-1 (b"\xb2" is "²")
        latin = all(ord(ch) < 256 for ch in header)
        request["headers"]["Last-Event-ID"] = header.encode("latin-1" if latin else "utf-8")
    if isinstance(data, dict):
        form = dict(data)
        if kind == "version":
            form[draw(st.sampled_from(["version", "count", "seen"]))] = draw(bad_numbers)
        if kind == "text":
            fields = [*form, "text", "title", "name", "display_name", "next", "s0-da", "nickname"]
            form[draw(st.sampled_from(fields))] = draw(evil_text)
        request["form"] = form
    elif data == "json":
        request["json"] = draw(json_bodies()) if kind == "json" else b"{}"
    return request


def send(client: TestClient, method: str, request: dict[str, Any], ids: dict[str, int]):  # type: ignore[no-untyped-def]
    path = request["template"].format(**(ids | request["ids"])) + request["query"]
    headers = dict(request["headers"])
    if method == "GET":
        return client.get(path, headers=headers, follow_redirects=False)
    token = csrf_token(client)
    if "json" in request:
        headers |= {"Content-Type": "application/json", "X-CSRFToken": token}
        return client.post(path, content=request["json"], headers=headers, follow_redirects=False)
    form = {**request.get("form", {}), "csrftoken": token}
    return client.post(path, data=form, headers=headers, follow_redirects=False)


def check(client: TestClient, method: str, request: dict[str, Any], role: str, world) -> None:  # type: ignore[no-untyped-def]
    client.cookies.delete("tryg_session")
    if role != "anonymous":
        client.cookies.set("tryg_session", world.tokens[role])
    r = send(client, method, request, world.ids)
    assert r.status_code < 500, (method, request, role, r.status_code)


@pytest.fixture(scope="module")
def shared_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app and database for the whole module: each example builds its own people."""
    path = tmp_path_factory.mktemp("no5xx") / "tryg.db"
    app = create_app(
        Settings(database_url=f"sqlite:///{path}", origin="http://testserver", live_stream_s=0)
    )
    with TestClient(app, base_url="http://testserver") as client:
        yield client


@pytest.mark.parametrize(("method", "template"), ROUTES)
def test_no_route_answers_5xx_to_malformed_input(shared_client, method, template):
    _expected, data = MATRIX[(method, template)]

    @EXAMPLES
    @given(st.lists(requests(method, template, data), min_size=len(ROLES), max_size=len(ROLES)))
    def every_role(batch: list[dict[str, Any]]) -> None:
        world = build_world(shared_client)
        for role, request in zip(ROLES, batch, strict=True):
            check(shared_client, method, request, role, world)

    every_role()


@st.composite
def passes(draw: st.DrawFn) -> list[tuple[str, str, str, dict[str, Any]]]:
    """One pass over the whole matrix: each route once, as a drawn role."""
    return [
        (method, template, draw(st.sampled_from(ROLES)), draw(requests(method, template, data)))
        for (method, template), (_expected, data) in ((k, MATRIX[k]) for k in ROUTES)
    ]


def test_no_route_answers_5xx_on_postgres(make_client, postgres_url):
    """PostgreSQL refuses NUL in text and integers past 2³¹−1 in its 32-bit columns."""
    client = make_client(database_url=postgres_url)

    @EXAMPLES
    @given(passes())
    def whole_matrix(batch: list[tuple[str, str, str, dict[str, Any]]]) -> None:
        world = build_world(client)
        for method, _template, role, request in batch:
            check(client, method, request, role, world)

    whole_matrix()
