"""Who may see the plan and who gets the alarm change only after a fresh passkey check
(issue 12 point 1): a password sign-in never counts, a passkey check counts for five minutes.
Without it the same form comes back (403) with what she typed and a way to the check."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlmodel import col, select

from app import db
from app.auth import codes, sessions
from app.auth.models import AuthSession, Role
from app.auth.stepup import safe_next
from app.clock import now
from app.contacts.models import Contact
from app.plans.models import Grant, Plan
from app.sharing.models import ShareCode
from tests.factories import engine_of, make_org, make_user, make_victim, post_json, signed_in
from tests.web.test_contacts import HTMX, form

PASSWORD = "lang og god sætning 42"
REFUSED = ["password", "old_passkey"]
CHECK = "bekræfte med din adgangsnøgle"


def signed_in_as(client, victim, kind):
    """``victim`` signed in on ``client``: a fresh passkey session, one whose passkey check is
    older than five minutes, or a password session. Returns her authenticator."""
    auth = signed_in(client, victim)
    if kind == "password":
        username = f"maja{victim.id}"
        r = form(client, "/account/password/set", username=username, password=PASSWORD)
        assert r.status_code == 303, r.text
        client.cookies.clear()
        r = form(client, "/login/password", username=username, password=PASSWORD)
        assert r.status_code == 303, r.text
        assert current_session(client, victim).method == "password"
    elif kind == "old_passkey":  # the clock moved on: the check was six minutes ago
        with db.write_session(engine_of(client)) as session:
            row = session.get(AuthSession, current_session(client, victim).id)
            row.verified_at = now() - sessions.FRESH_FOR - timedelta(minutes=1)
            session.add(row)
    return auth


def current_session(client, victim):
    with db.read_session(engine_of(client)) as session:
        return session.exec(
            select(AuthSession)
            .where(AuthSession.user_id == victim.id, col(AuthSession.ended_at).is_(None))
            .order_by(col(AuthSession.id).desc())
        ).first()


def verify(client, auth, next_path=None):
    """The passkey check of /account/verify (what passkeys.js does)."""
    options = post_json(client, "/account/verify/options", {}).json()
    credential = auth.get(options["publicKey"])
    url = "/account/verify/passkey"
    if next_path is not None:
        url += "?next=" + quote(next_path, safe="")
    r = post_json(client, url, {"handle": options["handle"], "credential": credential})
    assert r.status_code == 200, r.text
    return r.json()["redirect"]


def plan_id_of(client, victim):
    with db.read_session(engine_of(client)) as session:
        return session.exec(select(Plan).where(Plan.victim_id == victim.id)).one().id


def caseworker(client, name="Anna"):
    return make_user(client, Role.caseworker, name, make_org(client))


def share_code(client, worker):
    code = codes.new_code()
    with db.write_session(engine_of(client)) as session:
        session.add(
            ShareCode(
                caseworker_id=worker.id,
                code_hash=codes.code_hash(client.app.state.settings.secret_key, code),
                expires_at=now() + timedelta(minutes=15),
            )
        )
    return code


def grants(client, worker):
    with db.read_session(engine_of(client)) as session:
        return session.exec(
            select(Grant).where(Grant.caseworker_id == worker.id, col(Grant.revoked_at).is_(None))
        ).all()


# ---------------------------------------------------------------- who may see the plan


@pytest.mark.parametrize("kind", REFUSED)
def test_granting_access_needs_a_fresh_passkey_check(client, kind):
    victim = make_victim(client)
    auth = signed_in_as(client, victim, kind)
    worker = caseworker(client)
    code = share_code(client, worker)

    r = form(client, "/plan/sharing", code=code)
    assert r.status_code == 403
    assert CHECK in r.text
    assert f'value="{code}"' in r.text  # what she typed is still in the form
    assert 'href="/account/verify?next=/plan/sharing"' in r.text
    assert grants(client, worker) == []
    with db.read_session(engine_of(client)) as session:
        assert session.exec(select(ShareCode)).one().used_at is None  # the code still works

    # The check brings her back to the sharing page; then the same code goes through.
    verify_page = client.get("/account/verify?next=/plan/sharing")
    assert 'action="/account/verify/passkey?next=/plan/sharing"' in verify_page.text
    assert verify(client, auth, "/plan/sharing") == "/plan/sharing"
    assert form(client, "/plan/sharing", code=code).status_code == 303
    assert len(grants(client, worker)) == 1


@pytest.mark.parametrize("kind", REFUSED)
def test_revoking_access_needs_a_fresh_passkey_check(client, kind):
    worker = caseworker(client)
    victim = make_victim(client, caseworker=worker)
    auth = signed_in_as(client, victim, kind)
    [grant] = grants(client, worker)

    r = form(client, f"/plan/sharing/{grant.id}/revoke")
    assert r.status_code == 403 and CHECK in r.text
    assert len(grants(client, worker)) == 1

    verify(client, auth, "/plan/sharing")
    assert form(client, f"/plan/sharing/{grant.id}/revoke").status_code == 303
    assert grants(client, worker) == []


def test_a_fresh_passkey_session_grants_and_revokes(client):
    victim = make_victim(client)
    signed_in_as(client, victim, "fresh")
    worker = caseworker(client)
    assert form(client, "/plan/sharing", code=share_code(client, worker)).status_code == 303
    [grant] = grants(client, worker)
    assert form(client, f"/plan/sharing/{grant.id}/revoke").status_code == 303
    assert grants(client, worker) == []


# ---------------------------------------------------------------- who gets the alarm


def with_contacts(client, victim):
    """Mor gets the alarm, Far does not."""
    plan_id = plan_id_of(client, victim)
    with db.write_session(engine_of(client)) as session:
        mor = Contact(plan_id=plan_id, name="Mor", phone="+4512345678", alarm=True, position=0)
        far = Contact(plan_id=plan_id, name="Far", phone="+4587654321", alarm=False, position=1)
        session.add_all([mor, far])
        session.flush()
        return plan_id, mor.id, far.id


def contact(client, contact_id):
    with db.read_session(engine_of(client)) as session:
        return session.get(Contact, contact_id)


def edit(client, url, row, headers=None, **changes):
    values = {
        "name": row.name,
        "phone": row.phone,
        "relation": row.relation,
        "knows": row.knows,
        "code_word": row.code_word,
        "version": str(row.version),
        **({"alarm": "1"} if row.alarm else {}),
    }
    values.update(changes)
    values = {k: v for k, v in values.items() if v is not None}
    return form(client, f"{url}/{row.id}", headers=headers, **values)


NEW = {
    "name": "Søster Lisbeth",
    "relation": "søster",
    "phone": "22 33 44 55",
    "knows": "Ved alt om sagen",
    "code_word": "blå cykel",
    "alarm": "1",
}


@pytest.mark.parametrize("headers", [None, HTMX], ids=["form", "htmx"])
@pytest.mark.parametrize("kind", REFUSED)
def test_adding_an_alarm_contact_needs_a_fresh_check_and_keeps_what_she_typed(
    client, kind, headers
):
    victim = make_victim(client)
    auth = signed_in_as(client, victim, kind)
    plan_id, _mor, _far = with_contacts(client, victim)
    url = f"/plans/{plan_id}/contacts"

    r = form(client, url, headers=headers, **NEW)
    assert r.status_code == 403 and CHECK in r.text
    for typed in ("Søster Lisbeth", "søster", "22 33 44 55", "Ved alt om sagen", "blå cykel"):
        assert typed in r.text, typed
    assert 'id="new-alarm" name="alarm" value="1" checked' in r.text
    assert f'href="/account/verify?next={url}"' in r.text
    assert [c.name for c in contacts_of(client, plan_id)] == ["Mor", "Far"]

    # The rest of contact editing stays as it is: a contact without the alarm is added.
    plain = {**NEW, "name": "Nabo"}
    del plain["alarm"]
    assert form(client, url, **plain).status_code == 303

    assert verify(client, auth, url) == url
    assert form(client, url, headers=headers, **NEW).status_code in (200, 303)
    added = [c for c in contacts_of(client, plan_id) if c.name == "Søster Lisbeth"]
    assert len(added) == 1 and added[0].alarm and added[0].phone == "+4522334455"


def contacts_of(client, plan_id):
    with db.read_session(engine_of(client)) as session:
        rows = session.exec(
            select(Contact).where(Contact.plan_id == plan_id).order_by(col(Contact.id))
        ).all()
    return [c for c in rows if c.deleted_at is None]


@pytest.mark.parametrize("kind", REFUSED)
def test_changing_who_gets_the_alarm_needs_a_fresh_check(client, kind):
    victim = make_victim(client)
    auth = signed_in_as(client, victim, kind)
    plan_id, mor_id, far_id = with_contacts(client, victim)
    url = f"/plans/{plan_id}/contacts"
    mor, far = contact(client, mor_id), contact(client, far_id)

    # Turning the alarm on, off, or sending it to another number: refused, typed values kept.
    on = edit(client, url, far, alarm="1", knows="Har nøglen")
    assert on.status_code == 403 and CHECK in on.text and "Har nøglen" in on.text
    assert f'id="c{far_id}-alarm" name="alarm" value="1" checked' in on.text
    off = edit(client, url, mor, alarm=None)
    assert off.status_code == 403
    number = edit(client, url, mor, phone="99 88 77 66", headers=HTMX)
    assert number.status_code == 403 and "99 88 77 66" in number.text
    assert (contact(client, far_id).alarm, contact(client, mor_id).alarm) == (False, True)
    assert contact(client, mor_id).phone == "+4512345678"

    # Deleting or restoring an alarm contact: refused too (the confirmation page says why).
    page = form(client, f"{url}/{mor_id}/delete", version=str(mor.version))
    assert page.status_code == 403 and CHECK in page.text
    assert f'href="/account/verify?next={url}/{mor_id}/delete"' in page.text
    assert form(client, f"{url}/{mor_id}/delete", headers=HTMX, version="1").status_code == 403
    assert contact(client, mor_id).deleted_at is None

    # Everything else about a contact stays as it was: Mor's name, Far's number.
    assert edit(client, url, mor, name="Mor (mobil)").status_code == 303
    assert edit(client, url, far, phone="11 22 33 44").status_code == 303
    assert contact(client, far_id).phone == "+4511223344"
    assert form(client, f"{url}/{far_id}/delete", version="2").status_code == 303

    with db.write_session(engine_of(client)) as session:
        row = session.get(Contact, mor_id)
        row.deleted_at = now()
        session.add(row)
    restore = form(client, f"{url}/{mor_id}/restore", version=str(contact(client, mor_id).version))
    assert restore.status_code == 403 and CHECK in restore.text
    assert contact(client, mor_id).deleted_at is not None

    # After the check: the same changes go through.
    verify(client, auth, url)
    version = str(contact(client, mor_id).version)
    assert form(client, f"{url}/{mor_id}/restore", version=version).status_code == 303
    mor = contact(client, mor_id)
    assert mor.deleted_at is None
    assert edit(client, url, mor, phone="99 88 77 66").status_code == 303
    assert contact(client, mor_id).phone == "+4599887766"
    assert edit(client, url, contact(client, mor_id), alarm=None).status_code == 303
    assert contact(client, mor_id).alarm is False


def test_a_fresh_passkey_session_changes_the_alarm(client):
    victim = make_victim(client)
    signed_in_as(client, victim, "fresh")
    plan_id, mor_id, far_id = with_contacts(client, victim)
    url = f"/plans/{plan_id}/contacts"
    assert form(client, url, **NEW).status_code == 303
    assert edit(client, url, contact(client, far_id), alarm="1").status_code == 303
    assert edit(client, url, contact(client, mor_id), phone="99 88 77 66").status_code == 303
    r = form(client, f"{url}/{mor_id}/delete", version=str(contact(client, mor_id).version))
    assert r.status_code == 303
    version = str(contact(client, mor_id).version)
    assert form(client, f"{url}/{mor_id}/restore", version=version).status_code == 303
    alarm = sorted(c.name for c in contacts_of(client, plan_id) if c.alarm)
    assert alarm == ["Far", "Mor", "Søster Lisbeth"]


def test_a_caseworker_cannot_delete_an_alarm_contact(client, make_client):
    worker = caseworker(client)
    victim = make_victim(client, caseworker=worker)
    plan_id, mor_id, far_id = with_contacts(client, victim)
    signed_in(client, worker)
    url = f"/plans/{plan_id}/contacts"
    for headers in (None, HTMX):
        r = form(client, f"{url}/{mor_id}/delete", headers=headers, version="1")
        assert r.status_code == 403
        assert "Kun borgeren selv kan ændre telefonnummeret" in r.text
    assert contact(client, mor_id).deleted_at is None
    assert form(client, f"{url}/{far_id}/delete", version="1").status_code == 303


# ---------------------------------------------------------------- the way back after the check


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "plan",
        "https://evil.example/",
        "//evil.example/plan",
        "/\\evil.example",
        "/plan\\..",
        "javascript:alert(1)",
        "/plan\r\nSet-Cookie: x=1",
        "/plan x",
        "/" + "a" * 400,
    ],
)
def test_next_is_only_ever_a_path_on_this_site(value):
    assert safe_next(value) == "/account"


def test_next_keeps_a_path_and_its_query():
    assert safe_next("/plans/3/contacts") == "/plans/3/contacts"
    assert safe_next("/plan/sharing?x=1") == "/plan/sharing?x=1"


def test_the_check_never_sends_her_off_the_site(client):
    victim = make_victim(client)
    auth = signed_in(client, victim)
    page = client.get("/account/verify?next=https://evil.example/")
    assert page.status_code == 200 and "evil" not in page.text
    assert 'action="/account/verify/passkey"' in page.text
    assert verify(client, auth, "//evil.example") == "/account"
    assert verify(client, auth) == "/account"
