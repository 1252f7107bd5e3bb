"""Who is a victim, and who is her caseworker, cannot be read from a copy of the database.

Names, user names and passkey nicknames are sealed with the data key (issue 12 point 11); the
user name is found at sign-in through a keyed hash.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import text
from sqlmodel import select
from starlette.testclient import TestClient

from app import db
from app.auth.models import Passkey, Role
from tests.factories import (
    engine_of,
    enrol_in_meeting,
    form,
    make_org,
    make_user,
    make_victim,
    signed_in,
)

VICTIM = "Maja Sørensen"
CASEWORKER = "Anna Politibetjent"
NICKNAME = "Majas iPhone"
USERNAME = "maja.s"
PASSWORD = "lang og god sætning 42"
WRONG = "Brugernavnet eller adgangskoden er forkert"


def database_file(client: TestClient) -> Path:
    return Path(engine_of(client).url.database)


def stored_bytes(path: Path) -> dict[str, bytes]:
    """What a copy of the database holds: the file and its write-ahead log, as they are."""
    found = {}
    for name in (path, Path(f"{path}-wal")):
        if name.exists():
            found[name.name] = name.read_bytes()
    return found


def leaked(path: Path) -> list[str]:
    return [
        f"{word!r} in {where}"
        for where, raw in stored_bytes(path).items()
        for word in (VICTIM, CASEWORKER, NICKNAME, USERNAME)
        if word.encode("utf-8") in raw
    ]


def enrol_maja(client: TestClient, make_client) -> TestClient:  # type: ignore[no-untyped-def]
    """Admin → caseworker → victim, all through the app; the victim names her passkey and sets a
    password. Returns the victim's phone (signed in)."""
    org = make_org(client)
    admin = make_user(client, Role.org_admin, "Henrik", org=org)
    signed_in(client, admin)
    created = form(client, "/admin/caseworkers", display_name=CASEWORKER)
    assert created.status_code == 200, created.text
    office = make_client()
    enrol_in_meeting(client, office, created.text)
    person = form(office, "/people/new", display_name=VICTIM)
    assert person.status_code == 200 and VICTIM in person.text
    phone = make_client()
    enrol_in_meeting(office, phone, person.text)
    with db.read_session(engine_of(client)) as session:
        [key] = session.exec(select(Passkey).order_by(Passkey.id.desc()).limit(1)).all()  # type: ignore[union-attr]
    assert form(phone, f"/account/passkeys/{key.id}/rename", nickname=NICKNAME).status_code == 303
    assert (
        form(phone, "/account/password/set", username=USERNAME, password=PASSWORD).status_code
        == 303
    )
    # Everyone still sees the names the app is for.
    assert NICKNAME in phone.get("/account").text and USERNAME in phone.get("/account").text
    assert VICTIM in office.get("/people").text
    assert CASEWORKER in client.get("/admin").text
    return phone


def test_a_copy_of_the_database_does_not_name_the_victim_or_her_caseworker(
    client: TestClient, make_client
) -> None:  # type: ignore[no-untyped-def]
    enrol_maja(client, make_client)
    path = database_file(client)
    assert Path(f"{path}-wal").exists()  # the log is read as it is, not checkpointed first
    assert leaked(path) == []
    with engine_of(client).connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(FULL)"))
    assert leaked(path) == []


def test_the_file_search_would_find_clear_text(client: TestClient) -> None:
    """The search above can fail: an organisation's name is stored in clear and is found."""
    make_org(client, "Esbjerg Lokalpoliti Testenhed")
    raw = b"".join(stored_bytes(database_file(client)).values())
    assert b"Esbjerg Lokalpoliti Testenhed" in raw


def test_sign_in_with_the_user_name(client: TestClient, make_client) -> None:  # type: ignore[no-untyped-def]
    enrol_maja(client, make_client)
    laptop = make_client()
    good = form(laptop, "/login/password", username=USERNAME, password=PASSWORD)
    assert good.status_code == 303 and good.headers["location"] == "/plan"
    other = make_client()
    for name in ("maja.t", "Maja.s", "maja", ""):
        bad = form(other, "/login/password", username=name, password=PASSWORD)
        assert bad.status_code == 400 and WRONG in bad.text, name
    wrong_password = form(other, "/login/password", username=USERNAME, password="forkert forkert")
    assert wrong_password.status_code == 400 and WRONG in wrong_password.text


def test_a_user_name_is_taken_once_and_freed_when_removed(client: TestClient, make_client) -> None:  # type: ignore[no-untyped-def]
    phone = enrol_maja(client, make_client)
    other = make_client()
    signed_in(other, make_user(other, Role.victim, "Sara"))
    taken = form(other, "/account/password/set", username=USERNAME, password=PASSWORD)
    assert taken.status_code == 400 and "Brugernavnet er optaget" in taken.text
    # Her own name again (a new password) is not "taken" by herself.
    assert (
        form(phone, "/account/password/set", username=USERNAME, password=PASSWORD).status_code
        == 303
    )
    assert form(phone, "/account/password/delete").status_code == 303
    sara = "en anden lang sætning 7"
    assert form(other, "/account/password/set", username=USERNAME, password=sara).status_code == 303
    out = make_client()
    assert form(out, "/login/password", username=USERNAME, password=PASSWORD).status_code == 400
    assert form(out, "/login/password", username=USERNAME, password=sara).status_code == 303


def test_lists_are_in_name_order_though_the_database_cannot_sort_them(client: TestClient) -> None:
    org = make_org(client)
    anna = make_user(client, Role.caseworker, "anna", org=org)
    for name in ("Cecilie", "bo", "Åse", "Alma"):
        make_victim(client, name, anna)
    signed_in(client, anna)
    page = client.get("/people").text
    shown = re.findall(r"<p><strong>([^<]+)</strong>", page)
    assert shown == ["Alma", "bo", "Cecilie", "Åse"]
