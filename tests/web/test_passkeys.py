"""Passkey enrolment and sign-in as the server sees them (a software authenticator).

The same flows run in real Chromium with its virtual authenticator in tests/browser.
"""

from datetime import timedelta

import pytest
from sqlmodel import select

from app import db
from app.audit import AuditEvent
from app.auth.models import EnrolmentCode, Passkey, Role, User
from tests.conftest import csrf_token
from tests.factories import (
    engine_of,
    enrol,
    issue_code,
    login,
    make_user,
    post_json,
    signed_in,
)
from tests.soft_authenticator import SoftAuthenticator


def audit_actions(client):
    with db.read_session(engine_of(client)) as session:
        return [(e.action, e.detail) for e in session.exec(select(AuditEvent)).all()]


def passkeys_of(client, user):
    with db.read_session(engine_of(client)) as session:
        return session.exec(select(Passkey).where(Passkey.user_id == user.id)).all()


def test_enrol_sign_out_and_sign_in_again(client):
    victim = make_user(client, Role.victim, "Demo")
    auth = SoftAuthenticator()
    r = enrol(client, auth, issue_code(client, victim))
    # The first sign-in lands on the quick-exit explanation (docs/design.md §5), later ones on the
    # plan.
    assert r.status_code == 200 and r.json() == {"redirect": "/quick-exit"}
    page = client.get("/account")
    assert page.status_code == 200 and "Telefon" in page.text
    client.post("/logout", data={"csrftoken": client.cookies.get("tryg_csrf")})
    assert client.get("/account", follow_redirects=False).status_code == 303
    r = login(client, auth)
    assert r.json() == {"redirect": "/plan"}
    assert client.get("/account").status_code == 200
    actions = [a for a, _ in audit_actions(client)]
    assert actions.count("sign_in") == 2 and "sign_out" in actions


def test_registration_options_are_neutral_and_require_uv(client):
    victim = make_user(client, Role.victim, "Hemmelig Jensen")
    r = post_json(client, "/enrol/options", {"code": issue_code(client, victim)})
    options = r.json()["publicKey"]
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert "Hemmelig" not in r.text and "stalk" not in r.text.lower()
    assert options["user"]["name"] == options["user"]["displayName"] == "Noter"


def test_sign_in_options_require_uv(client):
    options = post_json(client, "/login/options", {}).json()["publicKey"]
    assert options["userVerification"] == "required"
    assert options["allowCredentials"] == []  # discoverable credentials


def test_code_is_single_use(client):
    victim = make_user(client, Role.victim)
    code = issue_code(client, victim)
    assert enrol(client, SoftAuthenticator(), code).status_code == 200
    r = post_json(client, "/enrol/options", {"code": code})
    assert r.status_code == 400 and "Bed din rådgiver om en ny" in r.json()["error"]


def test_expired_code_is_refused(client):
    victim = make_user(client, Role.victim)
    code = issue_code(client, victim)
    with db.write_session(engine_of(client)) as session:
        row = session.exec(select(EnrolmentCode)).one()
        row.expires_at = row.expires_at - timedelta(minutes=16)
        session.add(row)
    assert post_json(client, "/enrol/options", {"code": code}).status_code == 400


def test_wrong_code_is_refused_and_audited(client):
    r = post_json(client, "/enrol/options", {"code": "ACDEF-GHJKM"})
    assert r.status_code == 400
    assert ("code_refused", "") in audit_actions(client)


def test_code_is_stored_hashed(client):
    victim = make_user(client, Role.victim)
    code = issue_code(client, victim)
    with db.read_session(engine_of(client)) as session:
        row = session.exec(select(EnrolmentCode)).one()
    assert code.replace("-", "").encode() not in row.code_hash


def test_code_typed_loosely_still_works(client):
    victim = make_user(client, Role.victim)
    code = issue_code(client, victim)
    loose = " " + code.lower().replace("-", " ") + " "
    assert post_json(client, "/enrol/options", {"code": loose}).status_code == 200


def test_eleventh_wrong_code_in_a_minute_is_rate_limited(client):
    for _ in range(10):
        assert post_json(client, "/enrol/options", {"code": "ACDEF-GHJKM"}).status_code == 400
    r = post_json(client, "/enrol/options", {"code": "ACDEF-GHJKM"})
    assert r.status_code == 429
    assert "Prøv igen om 1 minut" in r.json()["error"]


def test_rate_limit_page_without_javascript(client):
    for _ in range(20):
        client.post(
            "/login/password",
            data={
                "username": "x",
                "password": "y" * 12,
                "csrftoken": client.cookies.get("tryg_csrf") or "",
            },
        )
    r = client.post(
        "/login/password",
        data={"username": "x", "password": "y" * 12, "csrftoken": client.cookies.get("tryg_csrf")},
    )
    assert r.status_code == 429 and "For mange forsøg" in r.text
    assert int(r.headers["retry-after"]) >= 60


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ({"origin": "http://evil.example"}, "wrong_origin"),
        ({"rp_id": "evil.example"}, "wrong_rp_id"),
    ],
)
def test_sign_in_with_wrong_origin_or_rp_id_is_refused(client, tamper, reason):
    victim = make_user(client, Role.victim)
    auth = signed_in(client, victim)
    client.cookies.clear()
    r = login(client, auth, **tamper)
    assert r.status_code == 400 and "Adgangsnøglen kunne ikke bruges" in r.json()["error"]
    assert ("passkey_refused", reason) in audit_actions(client)
    assert client.get("/account", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ({"origin": "http://evil.example"}, "wrong_origin"),
        ({"rp_id": "evil.example"}, "wrong_rp_id"),
    ],
)
def test_registration_with_wrong_origin_or_rp_id_is_refused(client, tamper, reason):
    victim = make_user(client, Role.victim)
    r = enrol(client, SoftAuthenticator(), issue_code(client, victim), **tamper)
    assert r.status_code == 400
    assert ("passkey_refused", reason) in audit_actions(client)
    assert passkeys_of(client, victim) == []


def test_missing_user_verification_is_refused(client):
    victim = make_user(client, Role.victim)
    auth = signed_in(client, victim)
    client.cookies.clear()
    auth.user_verified = False
    r = login(client, auth)
    assert r.status_code == 400
    assert ("passkey_refused", "user_not_verified") in audit_actions(client)


def test_registration_without_user_verification_is_refused(client):
    victim = make_user(client, Role.victim)
    r = enrol(client, SoftAuthenticator(user_verified=False), issue_code(client, victim))
    assert r.status_code == 400
    assert passkeys_of(client, victim) == []


def test_replayed_challenge_is_refused(client):
    victim = make_user(client, Role.victim)
    auth = signed_in(client, victim)
    client.cookies.clear()
    options = post_json(client, "/login/options", {}).json()
    first = auth.get(options["publicKey"])
    ok = post_json(client, "/login/passkey", {"handle": options["handle"], "credential": first})
    assert ok.status_code == 200
    again = auth.get(options["publicKey"])
    r = post_json(client, "/login/passkey", {"handle": options["handle"], "credential": again})
    assert r.status_code == 400 and "Genindlæs siden" in r.json()["error"]
    assert ("passkey_refused", "challenge_replayed_or_expired") in audit_actions(client)


def test_sign_count_regression_is_refused(client):
    victim = make_user(client, Role.victim)
    auth = signed_in(client, victim)
    assert login(client, auth, sign_count=10).status_code == 200
    r = login(client, auth, sign_count=5)
    assert r.status_code == 400 and "kopieret" in r.json()["error"]
    assert ("passkey_refused", "sign_count_regression") in audit_actions(client)


def test_user_handle_must_match(client):
    victim = make_user(client, Role.victim)
    auth = signed_in(client, victim)
    r = login(client, auth, user_handle=b"someone else")
    assert r.status_code == 400
    assert ("passkey_refused", "user_handle_mismatch") in audit_actions(client)


def test_unknown_credential_is_refused(client):
    stranger = SoftAuthenticator()
    stranger.create({"rp": {"id": "localhost"}, "user": {"id": "AAAA"}, "challenge": "AAAA"})
    r = login(client, stranger)
    assert r.status_code == 400 and "Vi kender ikke" in r.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1,2]",
        b'{"handle": 5}',
        b'{"handle": "x", "credential": "y"}',
        b'{"handle": "x", "credential": {"rawId": "!!"}}',
        b"\xff\xfe",
    ],
)
def test_malformed_webauthn_json_is_a_4xx(client, body):
    token = client.get("/login") and client.cookies.get("tryg_csrf")
    for url in ["/login/passkey", "/enrol/passkey", "/enrol/options"]:
        r = client.post(
            url, content=body, headers={"Content-Type": "application/json", "X-CSRFToken": token}
        )
        assert 400 <= r.status_code < 500, (url, r.status_code)


def test_failed_registration_leaves_nothing_half_created(client):
    victim = make_user(client, Role.victim)
    code = issue_code(client, victim)
    options = post_json(client, "/enrol/options", {"code": code}).json()
    bad = SoftAuthenticator().create(options["publicKey"], origin="http://evil.example")
    r = post_json(client, "/enrol/passkey", {"handle": options["handle"], "credential": bad})
    assert r.status_code == 400
    assert passkeys_of(client, victim) == []
    # the code was not burnt by the failed attempt
    assert enrol(client, SoftAuthenticator(), code).status_code == 200


def test_synced_passkey_gets_a_plain_warning(client):
    victim = make_user(client, Role.victim)
    auth = SoftAuthenticator(backup_eligible=True, backed_up=True)
    assert enrol(client, auth, issue_code(client, victim)).status_code == 200
    page = client.get("/account").text
    assert "synkroniseret" in page and "kan logge ind her som dig" in page


def test_device_bound_passkey_gets_no_warning(client):
    victim = make_user(client, Role.victim)
    signed_in(client, victim)
    assert "kan logge ind her som dig" not in client.get("/account").text


def test_disabled_user_cannot_sign_in(client):
    victim = make_user(client, Role.caseworker)
    auth = signed_in(client, victim)
    client.cookies.clear()
    with db.write_session(engine_of(client)) as session:
        user = session.get(User, victim.id)
        user.disabled = True
        session.add(user)
    r = login(client, auth)
    assert r.status_code == 400


def test_refusals_follow_the_visitors_language(client):
    english = {"Accept-Language": "en", "X-CSRFToken": client.get("/") and csrf_token(client)}
    r = client.post("/enrol/options", json={"code": "ACDEF-GHJKM"}, headers=english)
    assert r.json()["error"].startswith("The code is wrong")
    r = client.post(
        "/enrol/options", json={"code": "ACDEF-GHJKM"}, headers={**english, "Accept-Language": "da"}
    )
    assert r.json()["error"].startswith("Koden er forkert")
