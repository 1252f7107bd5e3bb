"""Managing one's own passkeys, password and sessions; caseworkers and admins enrolling people."""

import re
from datetime import timedelta

from sqlmodel import col, select

from app import db
from app.audit import AuditEvent
from app.auth import identity
from app.auth.models import AuthSession, EnrolmentCode, Passkey, Role, User
from app.auth.passwords import CONTEXT
from tests.conftest import csrf_token
from tests.factories import (
    code_from_page,
    engine_of,
    enrol_in_meeting,
    issue_code,
    login,
    make_org,
    make_user,
    make_victim,
    post_json,
    signed_in,
)
from tests.soft_authenticator import SoftAuthenticator


def form(client, url, **data):
    return client.post(url, data={"csrftoken": csrf_token(client), **data}, follow_redirects=False)


def passkey_ids(client, user):
    with db.read_session(engine_of(client)) as session:
        return [p.id for p in session.exec(select(Passkey).where(Passkey.user_id == user.id))]


def add_second_passkey(client, auth=None):
    auth = auth or SoftAuthenticator()
    options = post_json(client, "/account/passkeys/options", {}).json()
    credential = auth.create(options["publicKey"])
    r = post_json(
        client,
        "/account/passkeys",
        {"handle": options["handle"], "credential": credential, "nickname": "Nøgle"},
    )
    assert r.status_code == 200, r.text
    return auth


def shift_sessions(client, field, delta):
    """Move a timestamp of every session into the past (instead of sleeping)."""
    with db.write_session(engine_of(client)) as session:
        for row in session.exec(select(AuthSession)).all():
            setattr(row, field, getattr(row, field) - delta)
            session.add(row)


def age_session_verification(client, minutes=10):
    shift_sessions(client, "verified_at", timedelta(minutes=minutes))


def test_second_passkey_rename_and_remove(client):
    victim = make_user(client, Role.victim)
    first = signed_in(client, victim)
    second = add_second_passkey(client)
    ids = passkey_ids(client, victim)
    assert len(ids) == 2
    assert (
        form(client, f"/account/passkeys/{ids[1]}/rename", nickname="Sikkerhedsnøgle").status_code
        == 303
    )
    assert "Sikkerhedsnøgle" in client.get("/account").text
    assert form(client, f"/account/passkeys/{ids[0]}/delete").status_code == 303
    assert passkey_ids(client, victim) == [ids[1]]
    client.cookies.clear()
    assert login(client, first).status_code == 400  # removed passkey no longer works
    assert login(client, second).status_code == 200


def test_removing_the_last_passkey_is_refused(client):
    victim = make_user(client, Role.victim)
    signed_in(client, victim)
    [only] = passkey_ids(client, victim)
    r = form(client, f"/account/passkeys/{only}/delete")
    assert r.status_code == 400 and "sidste adgangsnøgle" in r.text
    assert passkey_ids(client, victim) == [only]


def test_removing_a_passkey_needs_a_fresh_passkey_check(client):
    victim = make_user(client, Role.victim)
    auth = signed_in(client, victim)
    add_second_passkey(client)
    age_session_verification(client)
    first = passkey_ids(client, victim)[0]
    r = form(client, f"/account/passkeys/{first}/delete")
    assert r.status_code == 303 and r.headers["location"] == "/account/verify"
    assert len(passkey_ids(client, victim)) == 2
    options = post_json(client, "/account/verify/options", {}).json()
    credential = auth.get(options["publicKey"])
    ok = post_json(
        client, "/account/verify/passkey", {"handle": options["handle"], "credential": credential}
    )
    assert ok.status_code == 200
    assert form(client, f"/account/passkeys/{first}/delete").status_code == 303
    assert len(passkey_ids(client, victim)) == 1


def test_fresh_check_must_be_my_own_passkey(client, make_client):
    victim = make_user(client, Role.victim, "A")
    signed_in(client, victim)
    other_client = make_client()
    other = make_user(other_client, Role.victim, "B")
    other_auth = signed_in(other_client, other)
    age_session_verification(client)
    options = post_json(client, "/account/verify/options", {}).json()
    credential = other_auth.get(options["publicKey"])
    r = post_json(
        client, "/account/verify/passkey", {"handle": options["handle"], "credential": credential}
    )
    assert r.status_code == 400


def test_cannot_touch_someone_elses_passkey(client, make_client):
    owner_client = make_client()
    owner = make_user(owner_client, Role.victim, "Owner")
    signed_in(owner_client, owner)
    [theirs] = passkey_ids(owner_client, owner)
    intruder = make_user(client, Role.victim, "Intruder")
    signed_in(client, intruder)
    add_second_passkey(client)
    assert form(client, f"/account/passkeys/{theirs}/rename", nickname="x").status_code == 404
    assert form(client, f"/account/passkeys/{theirs}/delete").status_code == 404
    assert passkey_ids(owner_client, owner) == [theirs]


def test_password_fallback(client):
    victim = make_user(client, Role.victim)
    signed_in(client, victim)
    weak = form(client, "/account/password/set", username="demo.bruger", password="kort")
    assert weak.status_code == 400 and "mindst 12 tegn" in weak.text
    common = form(client, "/account/password/set", username="demo.bruger", password="password1234")
    assert common.status_code == 400 and "for let at gætte" in common.text
    ok = form(
        client, "/account/password/set", username="demo.bruger", password="lang og god sætning 42"
    )
    assert ok.status_code == 303
    with db.read_session(engine_of(client)) as session:
        stored = session.get(User, victim.id).password_hash
    assert stored.startswith("$argon2id$")
    client.cookies.clear()
    bad = form(client, "/login/password", username="demo.bruger", password="forkert forkert")
    assert bad.status_code == 400 and "Brugernavnet eller adgangskoden er forkert" in bad.text
    good = form(
        client, "/login/password", username="demo.bruger", password="lang og god sætning 42"
    )
    assert good.status_code == 303 and good.headers["location"] == "/plan"


def test_unknown_user_name_gets_the_same_answer(client):
    r = form(client, "/login/password", username="findes.ikke", password="lang og god sætning")
    assert r.status_code == 400 and "Brugernavnet eller adgangskoden er forkert" in r.text


def test_old_password_hash_is_upgraded_on_sign_in(client):
    victim = make_user(client, Role.victim)
    old = CONTEXT.handler("pbkdf2_sha256").hash("lang og god sætning 42")
    with db.write_session(engine_of(client)) as session:
        user = session.get(User, victim.id)
        identity.set_username(user, client.app.state.settings, "gammel")
        user.password_hash = old
        session.add(user)
    r = form(client, "/login/password", username="gammel", password="lang og god sætning 42")
    assert r.status_code == 303
    with db.read_session(engine_of(client)) as session:
        assert session.get(User, victim.id).password_hash.startswith("$argon2id$")


def test_password_cannot_be_added_without_signing_in(client):
    r = form(client, "/account/password/set", username="x.y.z", password="lang og god sætning")
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_removing_the_password_needs_a_fresh_check(client):
    victim = make_user(client, Role.victim)
    signed_in(client, victim)
    form(client, "/account/password/set", username="demo.bruger", password="lang og god sætning")
    age_session_verification(client)
    r = form(client, "/account/password/delete")
    assert r.headers["location"] == "/account/verify"
    with db.read_session(engine_of(client)) as session:
        assert session.get(User, victim.id).password_hash is not None


def test_session_cookie_is_random_and_only_its_hash_is_stored(client):
    victim = make_user(client, Role.victim)
    signed_in(client, victim)
    cookie = client.cookies.get("tryg_session")
    assert len(cookie) >= 43  # 256 bits, base64url
    with db.read_session(engine_of(client)) as session:
        row = session.exec(select(AuthSession)).one()
    assert cookie.encode() not in row.token_hash


def test_new_session_id_at_every_sign_in(client):
    victim = make_user(client, Role.victim)
    auth = signed_in(client, victim)
    before = client.cookies.get("tryg_session")
    login(client, auth)
    assert client.cookies.get("tryg_session") != before


def test_session_ended_from_another_device_is_dead(make_client):
    phone, laptop = make_client(), make_client()
    victim = make_user(phone, Role.victim)
    auth = signed_in(phone, victim)
    # same database: the laptop's app shares the SQLite file
    laptop_auth = auth
    assert login(laptop, laptop_auth).status_code == 200
    page = laptop.get("/account/sessions").text
    ids = [int(i) for i in re.findall(r"/account/sessions/(\d+)/end", page)]
    assert len(ids) == 2
    phone_id = min(ids)
    assert form(laptop, f"/account/sessions/{phone_id}/end").status_code == 303
    assert phone.get("/account", follow_redirects=False).headers["location"] == "/login"
    assert laptop.get("/account").status_code == 200


def test_sign_out_everywhere(make_client):
    phone, laptop = make_client(), make_client()
    victim = make_user(phone, Role.victim)
    auth = signed_in(phone, victim)
    login(laptop, auth)
    r = form(laptop, "/account/sessions/end-all")
    assert r.status_code == 303 and "storage" in r.headers["clear-site-data"]
    for c in (phone, laptop):
        assert c.get("/account", follow_redirects=False).status_code == 303


def test_sign_out_clears_site_data(client):
    victim = make_user(client, Role.victim)
    signed_in(client, victim)
    r = form(client, "/logout")
    assert r.status_code == 303
    assert r.headers["clear-site-data"] == '"cache", "cookies", "storage"'


def test_idle_timeout(client, settings):
    victim = make_user(client, Role.victim)
    signed_in(client, victim)
    assert client.get("/account").status_code == 200
    idle = settings.idle_timeout_victim_s
    shift_sessions(client, "last_seen_at", timedelta(seconds=idle + 1))
    assert client.get("/account", follow_redirects=False).headers["location"] == "/login"


def test_caseworker_idle_timeout_is_longer(client, settings):
    org = make_org(client)
    caseworker = make_user(client, Role.caseworker, org=org)
    signed_in(client, caseworker)
    shift_sessions(client, "last_seen_at", timedelta(seconds=settings.idle_timeout_victim_s + 60))
    assert client.get("/people").status_code == 200


def test_absolute_lifetime(client):
    victim = make_user(client, Role.victim)
    signed_in(client, victim)
    shift_sessions(client, "expires_at", timedelta(days=2))
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_caseworker_enrols_a_victim_who_redeems_the_code(client, make_client):
    org = make_org(client)
    caseworker = make_user(client, Role.caseworker, "Anna", org=org)
    signed_in(client, caseworker)
    r = form(client, "/people/new", display_name="Maja")
    assert r.status_code == 200
    code, _code_id = code_from_page(r.text)
    assert 'src="data:image/svg+xml' in r.text
    assert code not in r.headers.get("location", "")
    assert "Kun med telefonen foran dig" in r.text
    phone = make_client()
    enrol_in_meeting(client, phone, r.text)
    assert "Min konto" in phone.get("/account").text


def test_caseworker_cannot_change_a_victims_passkeys_remotely(client, make_client):
    """A "lost phone" code does nothing until the new phone is confirmed in the meeting."""
    org = make_org(client)
    caseworker = make_user(client, Role.caseworker, org=org)
    signed_in(client, caseworker)
    victim = make_victim(client, "Maja", caseworker)
    phone = make_client()
    victim_auth = signed_in(phone, victim)
    r = form(client, f"/people/{victim.id}/code-revoke")
    # Nothing has changed for the victim yet.
    assert phone.get("/account").status_code == 200
    assert len(passkey_ids(client, victim)) == 1
    # No route lets a caseworker remove or add a victim's passkey.
    [key] = passkey_ids(client, victim)
    assert form(client, f"/account/passkeys/{key}/delete").status_code in (303, 404)
    assert len(passkey_ids(client, victim)) == 1
    # In the meeting: the new phone redeems the code, the caseworker confirms; old ways in go.
    new_phone = make_client()
    enrol_in_meeting(client, new_phone, r.text)
    assert len(passkey_ids(client, victim)) == 1
    assert phone.get("/account", follow_redirects=False).status_code == 303
    fresh = make_client()
    assert login(fresh, victim_auth).status_code == 400
    with db.read_session(engine_of(client)) as session:
        actions = [e.action for e in session.exec(select(AuditEvent))]
    assert "login_reset" in actions


def test_a_new_code_voids_the_previous_one(client):
    victim = make_user(client, Role.victim)
    first = issue_code(client, victim)
    second = issue_code(client, victim)
    assert post_json(client, "/enrol/options", {"code": first}).status_code == 400
    assert post_json(client, "/enrol/options", {"code": second}).status_code == 200


def test_caseworker_only_sees_own_people(client, make_client):
    org = make_org(client)
    anna = make_user(client, Role.caseworker, "Anna", org=org)
    signed_in(client, anna)
    lars = make_user(client, Role.caseworker, "Lars", org=org)
    theirs = make_victim(client, "Hemmelig", lars)
    assert "Hemmelig" not in client.get("/people").text
    assert form(client, f"/people/{theirs.id}/code").status_code == 404
    assert form(client, f"/people/{theirs.id}/code-revoke").status_code == 404


def test_admin_creates_and_disables_a_caseworker(client, make_client):
    org = make_org(client)
    admin = make_user(client, Role.org_admin, "Henrik", org=org)
    signed_in(client, admin)
    r = form(client, "/admin/caseworkers", display_name="Sofie")
    laptop = make_client()
    enrol_in_meeting(client, laptop, r.text)
    assert laptop.get("/people").status_code == 200
    with db.read_session(engine_of(client)) as session:
        [sofie] = [u for u in session.exec(select(User)) if u.display_name == "Sofie"]
    assert form(client, f"/admin/caseworkers/{sofie.id}/disable").status_code == 303
    assert laptop.get("/people", follow_redirects=False).status_code == 303
    assert "deaktiveret" in client.get("/admin").text


def test_admin_cannot_manage_another_organisation(client):
    mine, other = make_org(client, "A"), make_org(client, "B")
    admin = make_user(client, Role.org_admin, org=mine)
    signed_in(client, admin)
    stranger = make_user(client, Role.caseworker, "Fremmed", org=other)
    assert "Fremmed" not in client.get("/admin").text
    assert form(client, f"/admin/caseworkers/{stranger.id}/disable").status_code == 404
    assert form(client, f"/admin/caseworkers/{stranger.id}/code").status_code == 404


def test_empty_and_overlong_names_are_explained(client):
    org = make_org(client)
    caseworker = make_user(client, Role.caseworker, org=org)
    signed_in(client, caseworker)
    empty = form(client, "/people/new", display_name="   ")
    assert empty.status_code == 400 and "Skriv et navn" in empty.text
    long = form(client, "/people/new", display_name="x" * 101)
    assert long.status_code == 400 and "højst være 100 tegn" in long.text
    with db.read_session(engine_of(client)) as session:
        assert (
            session.exec(
                select(EnrolmentCode).where(EnrolmentCode.created_by_id == caseworker.id)
            ).all()
            == []
        )
        assert session.exec(select(User).where(col(User.role) == "victim")).all() == []


def test_signing_in_again_ends_the_previous_session(client):
    victim = make_user(client, Role.victim)
    auth = signed_in(client, victim)
    login(client, auth)
    with db.read_session(engine_of(client)) as session:
        rows = session.exec(select(AuthSession).order_by(AuthSession.id)).all()
    assert len(rows) == 2
    assert rows[0].ended_at is not None and rows[1].ended_at is None
