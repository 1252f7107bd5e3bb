"""Issue 12, as the stalker would try it: a password alone, a code read out over the phone, a
caseworker or an org admin must not get into someone else's account."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app import db
from app.audit import AuditEvent
from app.auth.models import AuthSession, EnrolmentCode, Passkey, Role, User
from tests.factories import (
    code_from_page,
    confirm,
    engine_of,
    enrol,
    enrol_in_meeting,
    form,
    login,
    make_org,
    make_user,
    make_victim,
    post_json,
    signed_in,
)
from tests.soft_authenticator import SoftAuthenticator

PASSWORD = "en lang og hemmelig sætning 7"


def passkeys_of(client, user) -> list[Passkey]:
    with db.read_session(engine_of(client)) as session:
        return list(session.exec(select(Passkey).where(Passkey.user_id == user.id)))


def user_row(client, user) -> User:
    with db.read_session(engine_of(client)) as session:
        row = session.get(User, user.id)
        assert row is not None
        return row


def with_password(client, make_client, victim, username="maja.s"):
    """The victim adds a password on her phone; returns a second client signed in with it
    (the stalker, who knows the password)."""
    r = form(client, "/account/password/set", username=username, password=PASSWORD)
    assert r.status_code == 303, r.text
    stalker = make_client()
    r = form(stalker, "/login/password", username=username, password=PASSWORD)
    assert r.status_code == 303, r.text
    return stalker


def add_passkey(client, auth):
    options = post_json(client, "/account/passkeys/options", {})
    if options.status_code != 200:
        return options
    data = options.json()
    credential = auth.create(data["publicKey"])
    return post_json(
        client, "/account/passkeys", {"handle": data["handle"], "credential": credential}
    )


# ---------------------------------------------------------------- 1. a password is never fresh


def test_a_password_sign_in_cannot_take_over_the_account(client, make_client):
    victim = make_user(client, Role.victim)
    victim_key = signed_in(client, victim)
    stalker = with_password(client, make_client, victim)
    [her_key] = passkeys_of(client, victim)

    # Add his own passkey: refused, sent to the passkey check.
    r = add_passkey(stalker, SoftAuthenticator())
    assert r.status_code == 403 and r.json()["redirect"].startswith("/account/verify")
    # Remove hers, change the password, remove it, end her sessions: all refused.
    assert form(stalker, f"/account/passkeys/{her_key.id}/delete").status_code == 303
    r = form(stalker, "/account/password/set", username="ny", password="en anden lang sætning 9")
    assert r.status_code == 403
    assert form(stalker, "/account/password/delete").status_code == 303
    assert stalker.get("/account/password", follow_redirects=False).status_code == 303
    her_session = next(s for s in sessions_of(client, victim) if s.method == "passkey")
    assert form(stalker, f"/account/sessions/{her_session.id}/end").status_code == 303
    assert (
        form(stalker, "/account/sessions/end-all").headers["location"].startswith("/account/verify")
    )
    # Nothing changed: her passkey, her password, her session.
    assert [p.id for p in passkeys_of(client, victim)] == [her_key.id]
    assert user_row(client, victim).username == "maja.s"
    assert client.get("/account").status_code == 200
    assert login(make_client(), victim_key).status_code == 200


def sessions_of(client, user) -> list[AuthSession]:
    with db.read_session(engine_of(client)) as session:
        return list(
            session.exec(
                select(AuthSession).where(
                    AuthSession.user_id == user.id,
                    AuthSession.ended_at == None,  # noqa: E711
                )
            )
        )


def test_a_password_session_says_so(client, make_client):
    victim = make_user(client, Role.victim)
    signed_in(client, victim)
    stalker = with_password(client, make_client, victim)
    assert "Du loggede ind med din adgangskode" in stalker.get("/account").text
    assert "Du loggede ind med din adgangskode" not in client.get("/account").text
    assert "logget ind med adgangskode" in client.get("/account/sessions").text


def test_a_passkey_check_makes_a_password_session_fresh_for_five_minutes(client, make_client):
    victim = make_user(client, Role.victim)
    key = signed_in(client, victim)
    phone = with_password(client, make_client, victim)
    options = post_json(phone, "/account/verify/options", {}).json()
    r = post_json(
        phone,
        "/account/verify/passkey",
        {"handle": options["handle"], "credential": key.get(options["publicKey"])},
    )
    assert r.status_code == 200
    assert add_passkey(phone, SoftAuthenticator()).status_code == 200
    with db.write_session(engine_of(client)) as session:
        for row in session.exec(select(AuthSession)).all():
            row.verified_at = row.verified_at and row.verified_at - timedelta(minutes=6)
            session.add(row)
    assert add_passkey(phone, SoftAuthenticator()).status_code == 403


# ---------------------------------------------------------------- 10. no account probing


def test_user_names_cannot_be_probed_without_a_passkey_check(client, make_client):
    victim = make_user(client, Role.victim)
    signed_in(client, victim)
    stalker = with_password(client, make_client, victim, username="maja.s")
    other = make_user(client, Role.victim, "Other")
    other_client = make_client()
    signed_in(other_client, other)
    with_password(other_client, make_client, other, username="someone.else")
    r = form(stalker, "/account/password/set", username="someone.else", password=PASSWORD + "x")
    assert r.status_code == 403 and "optaget" not in r.text


def test_user_name_checks_are_rate_limited(client, make_client):
    taken = make_user(client, Role.victim, "Taken")
    taken_client = make_client()
    signed_in(taken_client, taken)
    with_password(taken_client, make_client, taken, username="taget")
    victim = make_user(client, Role.victim)
    signed_in(client, victim)
    answers = [
        form(client, "/account/password/set", username="taget", password=PASSWORD).status_code
        for _ in range(6)
    ]
    assert answers[:5] == [400] * 5 and answers[5] == 429


# ---------------------------------------------------------------- 3. the meeting handshake


def meeting(client, make_client):
    org = make_org(client)
    caseworker = make_user(client, Role.caseworker, "Anna", org=org)
    signed_in(client, caseworker)
    victim = make_victim(client, "Maja", caseworker)
    return caseworker, victim


def test_a_code_read_out_over_the_phone_gives_nothing_without_confirmation(client, make_client):
    _caseworker, victim = meeting(client, make_client)
    page = form(client, f"/people/{victim.id}/code").text
    code, _code_id = code_from_page(page)
    stalker, key = make_client(), SoftAuthenticator()
    r = enrol(stalker, key, code)
    assert r.status_code == 200 and "confirmation" in r.json() and "redirect" not in r.json()
    # No session, no plan, and the passkey does not sign in.
    assert stalker.get("/plan", follow_redirects=False).headers["location"] == "/login"
    refused = login(stalker, key)
    assert refused.status_code == 400 and "ikke klar endnu" in refused.json()["error"]
    assert stalker.get("/plan", follow_redirects=False).headers["location"] == "/login"
    # The code is used up: redeeming it again gives nothing either.
    assert post_json(make_client(), "/enrol/options", {"code": code}).status_code == 400


def test_the_issuer_confirms_what_the_phone_shows(client, make_client):
    _caseworker, victim = meeting(client, make_client)
    page = form(client, f"/people/{victim.id}/code").text
    phone = make_client()
    enrol_in_meeting(client, phone, page)
    plan = phone.get("/plan", follow_redirects=True)
    assert plan.status_code == 200 and "plan-section" in plan.text
    code_id = code_from_page(page)[1]
    assert "Telefonen er klar" in client.get(f"/codes/{code_id}").text


def test_a_wrong_confirmation_is_refused_and_five_void_the_code(client, make_client):
    _caseworker, victim = meeting(client, make_client)
    page = form(client, f"/people/{victim.id}/code").text
    code, code_id = code_from_page(page)
    phone, key = make_client(), SoftAuthenticator()
    shown = enrol(phone, key, code).json()["confirmation"]
    wrong = "000000" if shown.replace(" ", "") != "000000" else "111111"
    for _ in range(4):
        r = confirm(client, code_id, wrong)
        assert r.status_code == 400 and "Tallet passer ikke" in r.text
    r = confirm(client, code_id, wrong)
    assert r.status_code == 400 and "For mange forkerte tal" in r.text
    # Even the right number is worth nothing now, and the pending passkey is gone.
    assert confirm(client, code_id, shown).status_code == 400
    assert login(phone, key).status_code == 400
    assert passkeys_of(client, victim) == []


def test_only_the_issuer_can_confirm(client, make_client):
    _caseworker, victim = meeting(client, make_client)
    page = form(client, f"/people/{victim.id}/code").text
    code, code_id = code_from_page(page)
    shown = enrol(make_client(), SoftAuthenticator(), code).json()["confirmation"]
    colleague_client = make_client()
    colleague = make_user(client, Role.caseworker, "Lars", org=None)
    signed_in(colleague_client, colleague)
    assert confirm(colleague_client, code_id, shown).status_code == 404
    assert colleague_client.get(f"/codes/{code_id}").status_code == 404
    # The victim herself (signed in elsewhere) cannot confirm a code for her own account.
    victim_client = make_client()
    signed_in(victim_client, victim)
    assert confirm(victim_client, code_id, shown).status_code == 404


def test_a_confirmation_after_the_code_expired_is_refused(client, make_client):
    _caseworker, victim = meeting(client, make_client)
    page = form(client, f"/people/{victim.id}/code").text
    code, code_id = code_from_page(page)
    phone, key = make_client(), SoftAuthenticator()
    shown = enrol(phone, key, code).json()["confirmation"]
    with db.write_session(engine_of(client)) as session:
        row = session.get(EnrolmentCode, code_id)
        row.expires_at = row.expires_at - timedelta(minutes=16)
        session.add(row)
    r = confirm(client, code_id, shown)
    assert r.status_code == 400 and "udløbet" in r.text
    assert login(phone, key).status_code == 400


def test_bad_confirmation_input_is_a_danish_400(client, make_client):
    _caseworker, victim = meeting(client, make_client)
    page = form(client, f"/people/{victim.id}/code").text
    code, code_id = code_from_page(page)
    for value in ["", "abc", "1" * 500, "١٢٣٤٥٦", "12 34 56 78"]:
        r = confirm(client, code_id, value)
        assert r.status_code == 400 and "Telefonen har ikke brugt koden endnu" in r.text
    enrol(make_client(), SoftAuthenticator(), code)
    r = confirm(client, code_id, "١٢٣٤٥٦")  # Arabic-Indic digits are no confirmation
    assert r.status_code == 400 and "Tallet passer ikke" in r.text
    assert client.get("/codes/99999999999999999999").status_code == 404


# ------------------------------------------------------- 2. recovery removes every old way in


def test_lost_phone_recovery_removes_passkeys_password_user_name_and_sessions(client, make_client):
    _caseworker, victim = meeting(client, make_client)
    old_phone = make_client()
    old_key = signed_in(old_phone, victim)
    stalker = with_password(old_phone, make_client, victim)
    page = form(client, f"/people/{victim.id}/code-revoke").text
    # Before the confirmation nothing has changed.
    assert stalker.get("/account").status_code == 200
    new_phone = make_client()
    new_key = enrol_in_meeting(client, new_phone, page)
    row = user_row(client, victim)
    assert row.password_hash is None and row.username is None and row.username_hash is None
    remaining = [p.credential_id for p in passkeys_of(client, victim)]
    assert remaining == [new_key.passkeys[0].credential_id]
    # The stalker's password session ended, and his password no longer works.
    assert stalker.get("/account", follow_redirects=False).headers["location"] == "/login"
    again = form(make_client(), "/login/password", username="maja.s", password=PASSWORD)
    assert again.status_code == 400
    assert login(make_client(), old_key).status_code == 400
    # Her new phone works.
    assert new_phone.get("/account").status_code == 200


# ------------------------------------------------------- 5. admins and caseworkers' sign-in


def test_an_admin_code_removes_the_caseworkers_old_passkeys_and_sessions(client, make_client):
    org = make_org(client)
    admin = make_user(client, Role.org_admin, "Henrik", org=org)
    signed_in(client, admin)
    caseworker = make_user(client, Role.caseworker, "Sofie", org=org)
    laptop = make_client()
    old_key = signed_in(laptop, caseworker)
    page = form(client, f"/admin/caseworkers/{caseworker.id}/code").text
    # Redeemed elsewhere without the caseworker present: nothing.
    code, code_id = code_from_page(page)
    elsewhere, key = make_client(), SoftAuthenticator()
    shown = enrol(elsewhere, key, code).json()["confirmation"]
    assert login(elsewhere, key).status_code == 400
    assert laptop.get("/people").status_code == 200
    # Confirmed (the caseworker present): the old passkey and sessions are gone.
    assert confirm(client, code_id, shown).status_code == 303
    assert laptop.get("/people", follow_redirects=False).headers["location"] == "/login"
    assert login(make_client(), old_key).status_code == 400
    assert login(elsewhere, key).status_code == 200
    with db.read_session(engine_of(client)) as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.subject_id == caseworker.id)
        ).all()
    assert {"enrolment_code_issued", "code_confirmed", "login_reset"} <= {e.action for e in events}


def test_disabling_voids_open_codes_and_redemption_refuses_disabled_accounts(client, make_client):
    org = make_org(client)
    admin = make_user(client, Role.org_admin, "Henrik", org=org)
    signed_in(client, admin)
    caseworker = make_user(client, Role.caseworker, "Sofie", org=org)
    page = form(client, f"/admin/caseworkers/{caseworker.id}/code").text
    code, code_id = code_from_page(page)
    assert form(client, f"/admin/caseworkers/{caseworker.id}/disable").status_code == 303
    assert post_json(make_client(), "/enrol/options", {"code": code}).status_code == 400
    # Re-enabled: the old code still does not work.
    assert form(client, f"/admin/caseworkers/{caseworker.id}/enable").status_code == 303
    assert post_json(make_client(), "/enrol/options", {"code": code}).status_code == 400
    assert confirm(client, code_id, "123456").status_code == 400


def test_a_code_redeemed_before_disabling_cannot_be_confirmed(client, make_client):
    org = make_org(client)
    admin = make_user(client, Role.org_admin, "Henrik", org=org)
    signed_in(client, admin)
    caseworker = make_user(client, Role.caseworker, "Sofie", org=org)
    page = form(client, f"/admin/caseworkers/{caseworker.id}/code").text
    code, code_id = code_from_page(page)
    phone, key = make_client(), SoftAuthenticator()
    shown = enrol(phone, key, code).json()["confirmation"]
    form(client, f"/admin/caseworkers/{caseworker.id}/disable")
    form(client, f"/admin/caseworkers/{caseworker.id}/enable")
    assert confirm(client, code_id, shown).status_code == 400
    assert login(phone, key).status_code == 400


def test_a_revoked_caseworker_cannot_confirm_her_code(client, make_client):
    caseworker, victim = meeting(client, make_client)
    page = form(client, f"/people/{victim.id}/code").text
    code, code_id = code_from_page(page)
    shown = enrol(make_client(), SoftAuthenticator(), code).json()["confirmation"]
    from app.plans.models import Grant

    with db.write_session(engine_of(client)) as session:
        for grant in session.exec(select(Grant)).all():
            session.delete(grant)
    assert confirm(client, code_id, shown).status_code == 404
    assert caseworker.id is not None


def test_a_stolen_staff_password_cannot_confirm_a_phone(client, make_client):
    """Someone who knows only the caseworker's password signs in as her, makes a code for the
    victim and redeems it on his own phone: he cannot confirm it himself."""
    org = make_org(client)
    caseworker = make_user(client, Role.caseworker, "Anna", org=org)
    signed_in(client, caseworker)
    victim = make_victim(client, "Maja", caseworker)
    r = form(client, "/account/password/set", username="anna.p", password=PASSWORD)
    assert r.status_code == 303
    stalker = make_client()
    assert form(stalker, "/login/password", username="anna.p", password=PASSWORD).status_code == 303
    page = form(stalker, f"/people/{victim.id}/code").text
    code, code_id = code_from_page(page)
    phone, key = make_client(), SoftAuthenticator()
    shown = enrol(phone, key, code).json()["confirmation"]
    refused = confirm(stalker, code_id, shown)
    assert refused.status_code == 403 and "Bekræft først med din adgangsnøgle" in refused.text
    assert 'href="/account/verify?next=/codes/' in refused.text
    assert login(phone, key).status_code == 400
    # The real caseworker, signed in with her passkey, can.
    assert confirm(client, code_id, shown).status_code == 303


def test_a_user_name_claimed_at_the_same_moment_is_taken_not_a_500(
    client, make_client, monkeypatch
):
    """Two people choosing one name at once (PostgreSQL reads committed rows): the unique index
    decides, and the loser is told the name is taken, with what she typed kept."""
    other = make_user(client, Role.victim, "Other")
    other_client = make_client()
    signed_in(other_client, other)
    with_password(other_client, make_client, other, username="samme.navn")
    victim = make_user(client, Role.victim)
    signed_in(client, victim)
    from app.auth import identity

    monkeypatch.setattr(identity, "taken_by_other", lambda *args, **kwargs: False)
    r = form(client, "/account/password/set", username="samme.navn", password=PASSWORD)
    assert r.status_code == 400 and "optaget" in r.text and 'value="samme.navn"' in r.text
    assert user_row(client, victim).password_hash is None
