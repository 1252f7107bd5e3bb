"""Build people and sign them in, the way the app does, for the fast tests."""

from __future__ import annotations

import re
from typing import Any

from starlette.testclient import TestClient

from app import db
from app.auth import codes
from app.auth.models import Organisation, OrgKind, Role, User
from tests.conftest import csrf_token
from tests.soft_authenticator import SoftAuthenticator


def engine_of(client: TestClient):  # type: ignore[no-untyped-def]
    return client.app.state.engine  # type: ignore[attr-defined]


def make_org(client: TestClient, name: str = "Esbjerg Lokalpoliti") -> Organisation:
    with db.write_session(engine_of(client)) as session:
        org = Organisation(name=name, kind=OrgKind.politi)
        session.add(org)
        session.flush()
        return org


def make_user(
    client: TestClient,
    role: Role,
    name: str = "Anna",
    org: Organisation | None = None,
    enrolled_by: User | None = None,
) -> User:
    with db.write_session(engine_of(client)) as session:
        user = User(
            role=role,
            display_name=name,
            organisation_id=org.id if org else None,
            enrolled_by_id=enrolled_by.id if enrolled_by else None,
        )
        session.add(user)
        session.flush()
        return user


def issue_code(
    client: TestClient,
    user: User,
    by: User | None = None,
    purpose: codes.Purpose = codes.Purpose.enrol,
) -> str:
    """A code as if issued by ``by`` (then it needs the meeting handshake), or at the server
    console (``by`` None: it works at once)."""
    secret = client.app.state.settings.secret_key  # type: ignore[attr-defined]
    with db.write_session(engine_of(client)) as session:
        _row, code = codes.issue(
            session,
            secret,
            user.id,  # type: ignore[arg-type]
            by.id if by else None,
            purpose=purpose,
        )
        return code


def form(client: TestClient, url: str, headers: dict[str, str] | None = None, **data: Any):  # type: ignore[no-untyped-def]
    """POST a form the way a page would (with its CSRF token); redirects are not followed."""
    return client.post(
        url,
        data={"csrftoken": csrf_token(client), **data},
        headers=headers or {},
        follow_redirects=False,
    )


def code_from_page(html: str) -> tuple[str, int]:
    """The code and its id from the code page a caseworker or admin sees."""
    code = re.search(r"<strong>([A-Z0-9]{5}-[A-Z0-9]{5})</strong>", html)
    code_id = re.search(r'action="/codes/(\d+)/confirm"', html)
    assert code and code_id, html
    return code.group(1), int(code_id.group(1))


def confirm(issuer: TestClient, code_id: int, number: str):  # type: ignore[no-untyped-def]
    return issuer.post(
        f"/codes/{code_id}/confirm",
        data={"csrftoken": csrf_token(issuer), "confirmation": number},
        follow_redirects=False,
    )


def enrol_in_meeting(
    issuer: TestClient, phone: TestClient, html: str, auth: SoftAuthenticator | None = None
) -> SoftAuthenticator:
    """The whole meeting: the phone redeems the code from the issuer's page, the issuer types
    the number the phone shows, the phone signs in."""
    auth = auth or SoftAuthenticator()
    code, code_id = code_from_page(html)
    redeemed = enrol(phone, auth, code)
    assert redeemed.status_code == 200, redeemed.text
    assert confirm(issuer, code_id, redeemed.json()["confirmation"]).status_code == 303
    signed = login(phone, auth)
    assert signed.status_code == 200, signed.text
    return auth


def post_json(client: TestClient, url: str, body: dict[str, Any]):  # type: ignore[no-untyped-def]
    return client.post(url, json=body, headers={"X-CSRFToken": csrf_token(client)})


def enrol(
    client: TestClient,
    auth: SoftAuthenticator,
    code: str,
    nickname: str = "Telefon",
    **create_kwargs: Any,
):  # type: ignore[no-untyped-def]
    options = post_json(client, "/enrol/options", {"code": code})
    assert options.status_code == 200, options.text
    data = options.json()
    credential = auth.create(data["publicKey"], **create_kwargs)
    return post_json(
        client,
        "/enrol/passkey",
        {"handle": data["handle"], "credential": credential, "nickname": nickname},
    )


def login(client: TestClient, auth: SoftAuthenticator, **get_kwargs: Any):  # type: ignore[no-untyped-def]
    options = post_json(client, "/login/options", {}).json()
    credential = auth.get(options["publicKey"], **get_kwargs)
    return post_json(
        client, "/login/passkey", {"handle": options["handle"], "credential": credential}
    )


def signed_in(client: TestClient, user: User, by: User | None = None) -> SoftAuthenticator:
    """Enrol ``user`` with a fresh soft authenticator on ``client``; returns the authenticator."""
    auth = SoftAuthenticator()
    response = enrol(client, auth, issue_code(client, user, by))
    assert response.status_code == 200, response.text
    return auth


def make_victim(client: TestClient, name: str = "Maja", caseworker: User | None = None) -> User:
    """A victim with a plan (two template sections); ``caseworker`` gets the first grant."""
    from app.plans.queries import create_plan
    from app.plans.template import DEFAULT_TEMPLATE

    with db.write_session(engine_of(client)) as session:
        victim = User(
            role=Role.victim,
            display_name=name,
            enrolled_by_id=caseworker.id if caseworker else None,
        )
        session.add(victim)
        session.flush()
        create_plan(session, victim, DEFAULT_TEMPLATE[:2], "da", caseworker)
        return victim


def unkeyed(html: str) -> str:
    """A page or partial with each add form's key (random per rendered form) blanked, so two
    renders of the same state compare equal."""
    return re.sub(r'name="form_key" value="[^"]*"', 'name="form_key" value=""', html)
