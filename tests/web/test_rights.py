"""The person's data rights (issue 18 points 4 and 5): "Hent alle mine data" holds every row
about her (compared with the database, table by table), and "Slet min konto" — after a fresh
passkey check and the typed word — leaves no text or name of hers, ends her sessions, takes her
off her caseworkers' lists and makes each of her phones wipe itself at its next visit."""

from __future__ import annotations

import functools
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Table, or_, select
from sqlmodel import SQLModel, col
from sqlmodel import select as sm_select

from app import db
from app.actions.models import Action, Comment, Helper, LegalStep, Meeting
from app.audit import AuditEvent
from app.auth import identity, passwords
from app.auth.models import AuthSession, Passkey, Role, User
from app.clock import now
from app.contacts.models import Contact
from app.diary.models import DiaryEntry, DiaryShare, DiaryVersion, Evidence, EvidenceChunk
from app.plans.models import Grant, Item, Plan, Section
from app.rights.parts import PARTS
from tests.conftest import csrf_token
from tests.factories import engine_of, make_org, make_user, make_victim, signed_in
from tests.web.test_stepup import signed_in_as

NAME = "Maja Hemmeligsen"
ITEM = "Gå til naboen på nummer 14"
CONTACT = "Søster Bodil"
CODE_WORD = "Blåbærgrød"
LOGGED = "Han stod ved bussen igen kl. 7.40"
PASSWORD = "en lang og god sætning 42"
AGREED = "Anna ringer til boligselskabet om ny lås"
REMARK = "Låsesmeden kommer torsdag"
JOURNAL = "4400-77777-00012-26"

# Tables with rows about her that the export leaves out on purpose (and the erasure still
# removes): a new table must be exported by a part (app/rights/parts.py) or named here.
EXEMPT = {
    "challenge": "a five-minute sign-in secret, no data about her; erased",
    "form_key": "random keys of forms she sent (a day long, no text); erased",
    "live_presence": "who has the plan open right now (seconds); erased",
}


@pytest.fixture(params=["sqlite", "postgres"])
def clients(request, make_client):  # type: ignore[no-untyped-def]
    """``make_client`` on SQLite, and on PostgreSQL when a server is there (else skipped)."""
    if request.param == "sqlite":
        return make_client
    return functools.partial(make_client, database_url=request.getfixturevalue("postgres_url"))


def post(client, url, **data):
    return client.post(url, data={"csrftoken": csrf_token(client), **data}, follow_redirects=False)


def her_world(make_client):
    """A caseworker who enrolled her, her plan with her own point, a contact with a code word,
    the caseworker's read of the plan, a second caseworker whose access she took back."""
    worker_phone, phone = make_client(), make_client()
    org = make_org(worker_phone)
    worker = make_user(worker_phone, Role.caseworker, "Anna", org)
    other = make_user(worker_phone, Role.caseworker, "Rolf", org)
    signed_in(worker_phone, worker)
    victim = make_victim(phone, NAME, worker)
    auth = signed_in(phone, victim)
    with db.write_session(engine_of(phone)) as s:
        plan = s.exec(sm_select(Plan).where(Plan.victim_id == victim.id)).one()
        section = s.exec(sm_select(Section).where(Section.plan_id == plan.id)).first()
        s.add(Item(plan_id=plan.id, section_id=section.id, text=ITEM, changed_by_id=victim.id))
        s.add(Contact(plan_id=plan.id, name=CONTACT, phone="+4512345678", code_word=CODE_WORD))
        s.add(Grant(plan_id=plan.id, caseworker_id=other.id, revoked_at=now()))
        # Her log: an entry Anna wrote for her and she changed, a bilag, her sharing choice.
        entry = DiaryEntry(
            victim_id=victim.id, happened_at=now(), what=LOGGED, created_by_id=worker.id
        )
        s.add(entry)
        s.flush()
        s.add(
            DiaryVersion(
                entry_id=entry.id, version=1, data='{"what": "før"}', replaced_by_id=victim.id
            )
        )
        bilag = Evidence(
            victim_id=victim.id,
            number=1,
            entry_id=entry.id,
            description="Skærmbillede",
            kind="png",
            size=3,
            sha256="0" * 64,
            uploaded_by_id=victim.id,
        )
        s.add(bilag)
        s.flush()
        s.add(EvidenceChunk(evidence_id=bilag.id, seq=0, data="AAAA"))
        s.add(DiaryShare(victim_id=victim.id, mode="all"))
        # Her handleplan: Anna's role, a meeting, an action agreed there, her comment on it,
        # a legal step with its journal number.
        meeting = Meeting(plan_id=plan.id, at=now(), place="Rådhuset", attendees="Maja, Anna")
        s.add(meeting)
        s.add(Helper(plan_id=plan.id, caseworker_id=worker.id, role="contact", reach="Ring 7000"))
        s.add(
            LegalStep(plan_id=plan.id, kind="restraining", started=now().date(), reference=JOURNAL)
        )
        s.flush()
        agreed = Action(
            plan_id=plan.id,
            what=AGREED,
            who="caseworker",
            who_id=worker.id,
            meeting_id=meeting.id,
            created_by_id=worker.id,
        )
        s.add(agreed)
        s.flush()
        s.add(Comment(plan_id=plan.id, action_id=agreed.id, text=REMARK, by_id=victim.id))
    assert worker_phone.get(f"/plans/{plan.id}").status_code == 200  # audited: plan_read
    return phone, auth, victim, plan.id, worker_phone


def rows_about(session, table: Table, user_id: int, plan_id: int) -> set[int]:
    """Ids of the rows of ``table`` that point at her or at her plan."""
    conditions = [
        column == (user_id if fk.column.table.name == "user" else plan_id)
        for column in table.columns
        for fk in column.foreign_keys
        if fk.column.table.name in ("user", "plan")
    ]
    if table.name == "user":
        conditions.append(table.c.id == user_id)
    if table.name == "audit_event":
        conditions.append(table.c.plan_id == plan_id)
    if table.name == "plan":
        conditions.append(table.c.id == plan_id)
    key = table.c.id if "id" in table.c else next(iter(table.primary_key.columns), None)
    if not conditions or key is None:
        return set() if not conditions else {-1}  # rows without a key: must be exempt
    return set(session.execute(select(key).where(or_(*conditions))).scalars())


def test_her_data_holds_every_row_about_her_compared_with_the_database(clients):
    phone, _auth, victim, plan_id, _worker = her_world(clients)
    r = phone.get("/account/data.json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert r.headers["content-disposition"] == 'attachment; filename="noter-data.json"'
    data = r.json()
    exported: dict[str, set[int]] = {}
    for part in PARTS:
        for table in part.tables:
            exported.setdefault(table, set()).update(row["id"] for row in data[part.key])
    with db.read_session(engine_of(phone)) as s:
        for table in SQLModel.metadata.sorted_tables:
            ids = rows_about(s, table, victim.id, plan_id)
            if not ids or table.name in EXEMPT:
                continue
            assert table.name in exported, f"{table.name}: rows about her, exported by no part"
            missing = ids - exported[table.name]
            assert not missing, f"{table.name}: rows {sorted(missing)} are not in her data"
    # What a person would look for is there in words.
    assert data["profile"][0]["name"] == NAME
    assert any(i["text"] == ITEM for i in data["items"])
    assert data["contacts"][0]["code_word"] == CODE_WORD
    assert data["log"][0]["what"] == LOGGED and data["log"][0]["written_by"].startswith("Anna")
    assert data["log_versions"][0]["text_before"] == {"what": "før"}
    assert data["bilag"][0]["description"] == "Skærmbillede" and data["log_sharing"]
    assert {g["adviser"] for g in data["grants"]} >= {"Anna, Esbjerg Lokalpoliti"}
    assert any(a["action"] == "plan_read" and "Anna" in a["what"] for a in data["activity"])
    assert all("public_key" not in k and "credential_id" not in k for k in data["passkeys"])
    assert data["case_actions"][0]["what"] == AGREED
    assert data["case_actions"][0]["who"].startswith("Anna")
    assert data["case_action_comments"][0]["text"] == REMARK
    assert data["case_helpers"][0]["role"] == "contact"
    assert data["case_meetings"][0]["place"] == "Rådhuset"
    step = data["case_legal_steps"][0]
    assert step["journal_number_or_note"] == JOURNAL and step["next_step_due"]


def test_the_readable_page_shows_the_same_in_plain_danish(make_client):
    phone, _auth, _victim, _plan_id, worker = her_world(make_client)
    page = phone.get("/account/data").text
    for words in (
        NAME,
        ITEM,
        CONTACT,
        CODE_WORD,
        AGREED,
        "Hvem der har læst eller ændret mine data",
    ):
        assert words in page
    assert "Anna, Esbjerg Lokalpoliti" in page and 'href="/account/data.json"' in page
    # Her caseworker's own data holds nothing of hers.
    theirs = worker.get("/account/data.json").text
    assert ITEM not in theirs and CODE_WORD not in theirs and NAME not in theirs


def test_no_fresh_passkey_check_no_erasure(make_client):
    phone = make_client()
    victim = make_victim(phone, NAME)
    signed_in_as(phone, victim, "old_passkey")
    page = phone.get("/account/delete").text
    assert "/account/verify?next=/account/delete" in page and 'name="confirm"' not in page
    r = post(phone, "/account/delete", confirm="SLET")
    assert r.status_code == 403 and "bekræfte med din adgangsnøgle" in r.text
    assert phone.get("/account/data").status_code == 200  # still there, still signed in


def test_the_wrong_word_refuses_in_danish_and_erases_nothing(make_client):
    phone, _auth, victim, plan_id, _worker = her_world(make_client)
    for typed in ("", "slet ikke", "DELETE", "SLETT"):
        r = post(phone, "/account/delete", confirm=typed)
        assert r.status_code == 400
        assert "Du skrev ikke SLET. Intet er slettet." in r.text
        assert 'aria-invalid="true"' in r.text
    with db.read_session(engine_of(phone)) as s:
        assert s.get(Plan, plan_id) is not None and s.get(User, victim.id).erased_at is None
    assert ITEM in phone.get("/account/data").text


def test_erasure_leaves_no_text_ends_every_session_and_wipes_each_phone(clients):
    phone, _auth, victim, plan_id, worker = her_world(clients)
    second_phone = clients()
    signed_in(second_phone, victim)
    assert victim.display_name in worker.get("/people").text
    r = post(phone, "/account/delete", confirm=" slet ")  # her own casing and spaces are fine
    assert r.status_code == 303 and r.headers["location"] == "/account/deleted"
    assert r.headers["clear-site-data"] == '"cache", "cookies", "storage"'
    assert "Kontoen er slettet" in phone.get("/account/deleted").text

    # Her other phone comes back: it is told to wipe itself and is signed out.
    back = second_phone.get("/plan", follow_redirects=False)
    assert back.headers["location"] == "/login"
    assert back.headers["clear-site-data"] == '"cache", "cookies", "storage"'
    assert not second_phone.cookies.get("tryg_session")  # deleted, for any browser
    # The caseworker's list no longer shows her, and her plan is gone for them too.
    assert NAME not in worker.get("/people").text
    assert worker.get(f"/plans/{plan_id}").status_code == 404

    engine = engine_of(phone)
    with db.read_session(engine) as s:
        tomb = s.get(User, victim.id)
        assert tomb.erased_at is not None and tomb.disabled and tomb.display_name == ""
        assert tomb.username is None and tomb.password_hash is None
        assert s.get(Plan, plan_id) is None
        for model, column in (
            (Section, Section.plan_id),
            (Item, Item.plan_id),
            (Contact, Contact.plan_id),
            (Grant, Grant.plan_id),
            (Action, Action.plan_id),
            (Comment, Comment.plan_id),
            (Meeting, Meeting.plan_id),
            (LegalStep, LegalStep.plan_id),
            (Helper, Helper.plan_id),
        ):
            assert not s.exec(sm_select(model).where(column == plan_id)).all()
        assert not s.exec(sm_select(Passkey).where(Passkey.user_id == victim.id)).all()
        # Her log, its earlier versions, the bilag and their encrypted pieces, her sharing.
        assert not s.exec(sm_select(DiaryEntry).where(DiaryEntry.victim_id == victim.id)).all()
        assert not s.exec(sm_select(Evidence).where(Evidence.victim_id == victim.id)).all()
        assert not s.exec(sm_select(EvidenceChunk)).all()
        assert not s.exec(sm_select(DiaryVersion)).all()
        assert s.get(DiaryShare, victim.id) is None
        live = sm_select(AuthSession).where(
            AuthSession.user_id == victim.id, col(AuthSession.ended_at).is_(None)
        )
        assert not s.exec(live).all()
        # The audit trail keeps its rows, with ids only; the erasure is one of them.
        events = s.exec(sm_select(AuditEvent).where(AuditEvent.subject_id == victim.id)).all()
        assert any(e.action == "account_erased" for e in events)
        assert all(e.ip_hash == "" for e in events if e.actor_id == victim.id)
        # Nothing decrypts to her name or text anywhere (every sealed column, every table).
        for user in s.exec(sm_select(User)).all():
            assert user.display_name != NAME
    # A copy of the database file and its write-ahead log, as they are, holds none of it.
    path = Path(engine.url.database or "")
    if engine.dialect.name == "sqlite":
        for name in (path, Path(f"{path}-wal")):
            raw = name.read_bytes() if name.exists() else b""
            for words in (NAME, ITEM, CONTACT, CODE_WORD, LOGGED, AGREED, REMARK, JOURNAL):
                assert words.encode() not in raw, f"{words!r} in {name.name}"


def test_a_sign_in_on_a_phone_whose_account_was_erased_keeps_its_new_cookie(make_client):
    """Someone else signs in on the phone before it came back online: the wipe does not undo
    that sign-in (no Clear-Site-Data, the new cookie stands)."""
    phone, second_phone = make_client(), make_client()
    victim = make_victim(phone, NAME)
    signed_in(phone, victim)
    signed_in(second_phone, victim)
    assert post(phone, "/account/delete", confirm="SLET").status_code == 303
    newcomer = make_victim(phone, "Ny")
    with db.write_session(engine_of(phone)) as s:
        row = s.get(User, newcomer.id)
        identity.set_username(row, phone.app.state.settings, "ny.bruger")
        row.password_hash = passwords.hash_password(PASSWORD)
        s.add(row)
    r = post(second_phone, "/login/password", username="ny.bruger", password=PASSWORD)
    assert r.status_code == 303 and "clear-site-data" not in r.headers
    assert second_phone.get("/account").status_code == 200


def test_only_a_victim_erases_her_own_account(make_client):
    worker_phone = make_client()
    worker = make_user(worker_phone, Role.caseworker, "Anna", make_org(worker_phone))
    signed_in(worker_phone, worker)
    assert worker_phone.get("/account/delete").status_code == 404
    assert post(worker_phone, "/account/delete", confirm="SLET").status_code == 404
    assert 'href="/account/delete"' not in worker_phone.get("/account").text
    assert 'href="/account/data"' in worker_phone.get("/account").text


def test_an_unused_account_is_flagged_to_its_caseworker_never_deleted(make_client):
    phone, _auth, victim, plan_id, worker = her_world(make_client)
    assert "Ikke brugt i mere end" not in worker.get("/people").text
    long_ago = now() - timedelta(days=400)
    with db.write_session(engine_of(phone)) as s:
        for row in s.exec(sm_select(AuthSession).where(AuthSession.user_id == victim.id)).all():
            row.last_seen_at = row.created_at = long_ago
            s.add(row)
    page = worker.get("/people").text
    assert "Ikke brugt i mere end 13 måneder" not in page
    assert "Ikke brugt i mere end 12 måneder" in page
    with db.read_session(engine_of(phone)) as s:
        assert s.get(Plan, plan_id) is not None  # flagged, never deleted
