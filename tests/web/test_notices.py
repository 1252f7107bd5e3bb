"""Nothing happens behind a person's back (issue 12, point 4): every code, passkey, password
change and password sign-in is shown on the person's other devices and in her activity list.

Each TestClient is one device; they share one database.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event
from sqlmodel import select

from app import db
from app.audit import AuditEvent
from app.auth.models import Role
from tests.factories import (
    engine_of,
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

PASSWORD = "lang og god sætning 42"
NEW_PASSKEY = "En ny adgangsnøgle blev tilføjet"


def notices(client, path="/account"):
    """The notice region's text on a page ("" when there is none)."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    match = re.search(r'<section id="account-notices".*?</section>', page.text, re.S)
    return match.group(0) if match else ""


def seen_id(region):
    return re.search(r'name="seen" value="(\d+)"', region).group(1)


def add_passkey(client):
    options = post_json(client, "/account/passkeys/options", {}).json()
    credential = SoftAuthenticator().create(options["publicKey"])
    r = post_json(
        client,
        "/account/passkeys",
        {"handle": options["handle"], "credential": credential, "nickname": "Nøgle"},
    )
    assert r.status_code == 200, r.text


def code_from(response):
    return re.search(r"<strong>([A-Z0-9]{5}-[A-Z0-9]{5})</strong>", response.text).group(1)


def three_devices(make_client, victim):
    a, b, c = make_client(), make_client(), make_client()
    auth = signed_in(a, victim)
    assert login(b, auth).status_code == 200
    assert login(c, auth).status_code == 200
    return a, b, c


def test_a_passkey_added_on_one_device_is_shown_on_the_others_until_dismissed(make_client):
    victim = make_victim(make_client(), "Maja")
    a, b, c = three_devices(make_client, victim)
    assert notices(b) == ""  # signing in elsewhere with a passkey is no news
    add_passkey(a)
    shown_b = notices(b, "/plan/activity")
    assert NEW_PASSKEY in shown_b and "Var det ikke dig?" in shown_b
    assert "Kontakt din rådgiver." in shown_b and 'href="/account"' in shown_b
    assert re.search(r"I dag kl\. \d\d\.\d\d", shown_b)
    assert notices(a) == ""  # the device that did it is not warned about itself
    # Dismissed on B (no JavaScript: a form and a redirect back to the same page).
    r = form(b, "/account/notices/dismiss", seen=seen_id(shown_b), next="/plan/activity")
    assert r.status_code == 303 and r.headers["location"] == "/plan/activity"
    assert notices(b) == ""
    # ...but still shown on C, which was signed in before and has not dismissed it.
    assert NEW_PASSKEY in notices(c)


def test_removing_a_passkey_and_the_password_are_shown_too(make_client):
    victim = make_victim(make_client(), "Maja")
    a, b, _c = three_devices(make_client, victim)
    add_passkey(a)
    form(b, "/account/notices/dismiss", seen=seen_id(notices(b)))
    assert form(a, "/account/password/set", username="maja.m", password=PASSWORD).status_code == 303
    assert "Der blev valgt en adgangskode til din konto." in notices(b)
    page = a.get("/account").text
    key = re.findall(r"/account/passkeys/(\d+)/delete", page)[0]
    assert form(a, f"/account/passkeys/{key}/delete").status_code == 303
    assert form(a, "/account/password/delete").status_code == 303
    region = notices(b)
    assert "En adgangsnøgle blev fjernet." in region
    assert "Adgangskoden blev fjernet fra din konto." in region
    assert notices(a) == ""


def test_a_newer_event_is_not_dismissed_with_an_older_page(make_client):
    victim = make_victim(make_client(), "Maja")
    a, b, _c = three_devices(make_client, victim)
    add_passkey(a)
    old_page = notices(b)
    add_passkey(a)  # happens while B still shows the first one
    form(b, "/account/notices/dismiss", seen=seen_id(old_page))
    assert notices(b).count(NEW_PASSKEY) == 1


def test_a_code_from_a_caseworker_is_shown_with_her_name_and_organisation(client, make_client):
    org = make_org(client, "Esbjerg Lokalpoliti")
    anna = make_user(client, Role.caseworker, "Anna", org=org)
    signed_in(client, anna)
    victim = make_victim(client, "Maja", anna)
    phone = make_client()
    signed_in(phone, victim)
    page = form(client, f"/people/{victim.id}/code").text
    region = notices(phone)
    assert "Anna, Esbjerg Lokalpoliti lavede en kode til en ny telefon." in region
    assert "Har du ikke bedt om en ny telefon? Kontakt din rådgiver." in region
    # The code redeemed on another phone and confirmed: the old phone is told whose code it was.
    enrol_in_meeting(client, make_client(), page)
    assert NEW_PASSKEY + " med en kode fra Anna, Esbjerg Lokalpoliti." in notices(phone)
    assert "Anna, Esbjerg Lokalpoliti" not in notices(client, "/people")  # hers, not Anna's


def test_a_password_sign_in_is_shown_on_her_other_devices(make_client):
    victim = make_victim(make_client(), "Maja")
    phone = make_client()
    signed_in(phone, victim)
    form(phone, "/account/password/set", username="maja.m", password=PASSWORD)
    laptop = make_client()
    r = form(
        laptop,
        "/login/password",
        username="maja.m",
        password=PASSWORD,
        headers={"user-agent": "Mozilla/5.0 (Windows NT 10.0) Firefox/128.0"},
    )
    assert r.status_code == 303
    region = notices(phone)
    assert "Nogen loggede ind med din adgangskode på Firefox · Windows." in region
    assert 'href="/account/sessions"' in region
    assert notices(laptop) == ""  # not on the device that signed in
    # The laptop was signed in after the password was set: that is not news there.
    assert "adgangskode til din konto" not in notices(laptop)


def test_staff_are_told_about_a_code_an_admin_made_for_them(client, make_client):
    org = make_org(client, "Esbjerg Lokalpoliti")
    admin = make_user(client, Role.org_admin, "Bo", org=org)
    anna = make_user(client, Role.caseworker, "Anna", org=org)
    signed_in(client, admin)
    desk = make_client()
    anna_auth = signed_in(desk, anna)
    assert form(client, f"/admin/caseworkers/{anna.id}/code").status_code == 200
    region = notices(desk, "/people")
    assert "Bo, Esbjerg Lokalpoliti lavede en kode til en ny telefon." in region
    assert "Sig det til din leder." in region and "rådgiver" not in region
    # A passkey added on another device of hers is shown too.
    laptop = make_client()
    assert login(laptop, anna_auth).status_code == 200
    add_passkey(laptop)
    assert NEW_PASSKEY in notices(desk, "/people") and NEW_PASSKEY not in notices(laptop)


def test_activity_list_shows_every_account_event_in_plain_danish(client, make_client):
    org = make_org(client, "Esbjerg Lokalpoliti")
    anna = make_user(client, Role.caseworker, "Anna", org=org)
    signed_in(client, anna)
    created = form(client, "/people/new", display_name="Maja")
    phone = make_client()
    enrol_in_meeting(client, phone, created.text)
    with db.read_session(engine_of(client)) as session:
        victim_id = session.exec(
            select(AuditEvent.subject_id).where(AuditEvent.action == "victim_created")
        ).one()
    form(client, f"/people/{victim_id}/code-revoke")
    add_passkey(phone)
    form(phone, "/account/password/set", username="maja.m", password=PASSWORD)
    form(make_client(), "/login/password", username="maja.m", password=PASSWORD)
    page = phone.get("/plan/activity").text
    table = re.search(r'<table class="activity">.*?</table>', page, re.S).group(0)
    for sentence in [
        "Anna, Esbjerg Lokalpoliti oprettede din konto og din plan.",
        "Anna, Esbjerg Lokalpoliti lavede en kode til en ny telefon.",
        "Anna, Esbjerg Lokalpoliti lavede en kode til en ny telefon. Den fjerner dine gamle "
        "adgangsnøgler.",
        NEW_PASSKEY + " med en kode fra Anna, Esbjerg Lokalpoliti.",
        NEW_PASSKEY + ".",
        "Der blev valgt en adgangskode til din konto.",
        "Nogen loggede ind med din adgangskode.",
    ]:
        assert sentence in table, sentence
    # No raw action code anywhere on the page.
    text = re.sub(r"<[^>]+>", " ", page)
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), re.findall(r"\b[a-z]+_[a-z_]+\b", text)


def test_every_known_action_is_described_without_its_code():
    from app.auth.notices import NOTICE_ACTIONS, describe

    for action in [
        *NOTICE_ACTIONS,
        "sign_in",
        "plan_read",
        "plan_changed",
        "grant_added",
        "grant_revoked",
        "victim_created",
        "something_new",
    ]:
        for who in (None, "Anna, Esbjerg Lokalpoliti"):
            for plan_id in (None, 1):
                event = AuditEvent(action=action, detail="password count=2", plan_id=plan_id)
                text = describe(event, who)
                assert action not in text and text.endswith("."), (action, text)
                assert not re.search(r"[a-z]+_[a-z]+", text), (action, text)


def test_notices_cost_one_query_on_a_full_page_and_none_on_fragments(client):
    victim = make_victim(client, "Maja")
    signed_in(client, victim)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if "audit_event" in statement and statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    engine = engine_of(client)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        client.get("/account")
        assert len(statements) == 1
        statements.clear()
        client.get("/account", headers={"HX-Request": "true"})
        client.get("/static/css/tryg.css")
        client.get("/sw.js")
        assert statements == []
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def test_dismiss_with_htmx_answers_the_region_in_place(make_client):
    victim = make_victim(make_client(), "Maja")
    a, b, _c = three_devices(make_client, victim)
    add_passkey(a)
    r = form(
        b, "/account/notices/dismiss", headers={"HX-Request": "true"}, seen=seen_id(notices(b))
    )
    assert r.status_code == 200
    assert 'id="account-notices"' in r.text and NEW_PASSKEY not in r.text
    assert 'role="status"' in r.text and "<html" not in r.text
    assert notices(b) == ""


def test_dismiss_refuses_bad_input_in_danish(make_client):
    victim = make_victim(make_client(), "Maja")
    other = make_victim(make_client(), "Ida")
    a, b, _c = three_devices(make_client, victim)
    stranger = make_client()
    signed_in(stranger, other)
    add_passkey(a)
    theirs = seen_id(notices(b))
    for bad in ["", "abc", "-1", "9" * 30, "999999"]:
        r = form(b, "/account/notices/dismiss", seen=bad)
        assert r.status_code == 400 and "Formularen kunne ikke læses" in r.text, bad
    # Someone else's event id does not touch this device.
    r = form(stranger, "/account/notices/dismiss", seen=theirs)
    assert r.status_code == 400
    assert NEW_PASSKEY in notices(b)
    # An open redirect is not possible through "next".
    r = form(b, "/account/notices/dismiss", seen=theirs, next="//evil.example/")
    assert r.headers["location"] == "/"


@pytest.mark.postgres
def test_notices_and_dismissal_on_postgres(make_client, postgres_url):
    """notices_seen_at is a plain timestamp column (migration 0008): the comparison with aware
    times must hold on PostgreSQL too."""
    victim = make_victim(make_client(database_url=postgres_url), "Maja")
    a, b, c = three_devices(lambda: make_client(database_url=postgres_url), victim)
    add_passkey(a)
    form(b, "/account/notices/dismiss", seen=seen_id(notices(b)))
    assert notices(b) == "" and NEW_PASSKEY in notices(c)
    add_passkey(a)
    assert NEW_PASSKEY in notices(b)
    assert "Nogen" not in notices(a) and NEW_PASSKEY not in notices(a)
