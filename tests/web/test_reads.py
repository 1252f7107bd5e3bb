"""Every read of a plan by someone other than the victim is in her activity list (issue 12,
point 7), folded so a meeting does not flood it: one row per person and plan per ten minutes,
with a count. The victim's own reads write nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import col, select
from starlette.routing import Mount, Route

from app import db
from app.actions.models import Action
from app.audit import AuditEvent
from app.auth import codes
from app.auth.models import Role
from app.clock import now
from app.contacts.models import Contact
from app.diary.models import DiaryEntry, DiaryShare, Evidence
from app.plans.models import Grant, Item, Plan, Section
from tests.conftest import csrf_token
from tests.factories import engine_of, make_org, make_user, make_victim, signed_in

ITEM_MARK = "ItemMark7f3a"
CONTACT_MARK = "ContactMark7f3a"
DIARY_MARK = "DiaryMark7f3a"
ACTION_MARK = "ActionMark7f3a"
HTMX = {"HX-Request": "true"}

# The routes that are known to show plan or contact content: the walk below must find them all
# (so the markers cannot silently stop matching), and it finds any new one by itself.
KNOWN_CONTENT = {
    "/plans/{plan_id:id}",
    "/plans/{plan_id:id}/print",
    "/plans/{plan_id:id}/download",
    "/plans/{plan_id:id}/sections/{section_id:id}",
    "/plans/{plan_id:id}/items/{item_id:id}/edit",
    "/plans/{plan_id:id}/items/{item_id:id}/delete",
    "/plans/{plan_id:id}/contacts",
    "/plans/{plan_id:id}/contacts/{contact_id:id}/delete",
    "/plans/{plan_id:id}/diary",
    "/plans/{plan_id:id}/actions",
}


@pytest.fixture
def meeting(client, make_client):
    """Anna (caseworker, granted) on ``client``; Maja (the victim) on her own phone. The plan
    holds an item and a contact with marker texts."""
    org = make_org(client, "Esbjerg Lokalpoliti")
    anna = make_user(client, Role.caseworker, "Anna", org=org)
    victim = make_victim(client, "Maja", anna)
    with db.write_session(engine_of(client)) as session:
        plan = session.exec(select(Plan).where(Plan.victim_id == victim.id)).one()
        section = session.exec(
            select(Section).where(Section.plan_id == plan.id).order_by(col(Section.position))
        ).first()
        item = Item(plan_id=plan.id, section_id=section.id, text=f"Punkt {ITEM_MARK}", position=9)
        contact = Contact(plan_id=plan.id, name=f"Mor {CONTACT_MARK}", phone="+4512345678")
        entry = DiaryEntry(victim_id=victim.id, happened_at=now(), what=f"Notat {DIARY_MARK}")
        bilag = Evidence(
            victim_id=victim.id, number=1, description="Foto", kind="png", size=0, sha256="0"
        )
        action = Action(plan_id=plan.id, what=f"Aftale {ACTION_MARK}")
        session.add_all(
            [item, contact, entry, bilag, action, DiaryShare(victim_id=victim.id, mode="all")]
        )
        session.flush()
        code_row, _code = codes.issue(
            session,
            client.app.state.settings.secret_key,
            victim.id,
            anna.id,
            purpose=codes.Purpose.device,
        )
        ids = {
            "plan_id": plan.id,
            "section_id": section.id,
            "item_id": item.id,
            "contact_id": contact.id,
            "code_id": code_row.id,
            "entry_id": entry.id,
            "evidence_id": bilag.id,
        }
    signed_in(client, anna)
    phone = make_client()
    signed_in(phone, victim)
    return client, phone, ids, anna, victim


def get_routes(app) -> list[str]:
    paths = []
    for route in app.routes:
        if isinstance(route, Mount):
            continue
        assert isinstance(route, Route)
        if "GET" in (route.methods or set()):
            paths.append(route.path)
    return paths


def fill(path: str, ids: dict[str, int]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in ids:
            pytest.fail(f"the walk needs a value for {{{name}}} in {path}: add it to the fixture")
        return str(ids[name])

    return re.sub(r"\{(\w+)(?::\w+)?\}", value, path)


def shows_content(text: str) -> bool:
    return any(mark in text for mark in (ITEM_MARK, CONTACT_MARK, DIARY_MARK, ACTION_MARK))


READ_SENTENCE = re.compile(
    r"(?P<who>.+?) (?:læste planen (?P<n>\d+) gange?|læste planen|udskrev planen|hentede planen"
    r"|læste dine kontakter|læste din handleplan|læste din log(?: (?P<m>\d+) gange)?)\."
)


def read_rows(phone) -> list[tuple[str, int]]:
    """(who, how many reads) for every read row in the victim's activity list."""
    page = phone.get("/plan/activity")
    assert page.status_code == 200
    rows = re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td></tr>", page.text)
    reads = []
    for what in rows:
        if match := READ_SENTENCE.fullmatch(what):
            count = match["n"] or match["m"]
            reads.append((match["who"], int(count) if count else 1))
    return reads


def reads_shown(phone) -> int:
    return sum(n for _who, n in read_rows(phone))


def test_every_get_route_that_shows_the_plan_is_in_the_victims_activity(meeting):
    """Walks every GET route of the app, plain and htmx, as the granted caseworker: each answer
    that shows plan or contact text must add one read to what the victim sees."""
    anna_client, phone, ids, _anna, _victim = meeting
    content_routes = set()
    for path in get_routes(anna_client.app):
        url = fill(path, ids)
        for headers in ({}, HTMX):
            before = reads_shown(phone)
            r = anna_client.get(url, headers=headers, follow_redirects=False)
            if not shows_content(r.text):
                continue
            content_routes.add(path)
            assert reads_shown(phone) == before + 1, (
                f"{url} {'(htmx)' if headers else ''} showed plan content without an audit row"
            )
    assert content_routes >= KNOWN_CONTENT, KNOWN_CONTENT - content_routes
    # All within ten minutes: one row, with the count (and one for the log, issue 16).
    assert [who for who, _n in read_rows(phone)] == ["Anna, Esbjerg Lokalpoliti"] * 2


def test_conflict_and_refused_answers_are_reads_too(meeting):
    """A stale edit shows the current text (409); a bad edit shows the section (422). Neither
    changes anything, and both are shown to the victim as reads."""
    anna_client, phone, ids, _anna, _victim = meeting
    base = f"/plans/{ids['plan_id']}"
    token = csrf_token(anna_client)
    stale = anna_client.post(
        f"{base}/items/{ids['item_id']}",
        data={"csrftoken": token, "text": "Nyt", "version": "7"},
        follow_redirects=False,
    )
    assert stale.status_code == 409 and ITEM_MARK in stale.text
    assert reads_shown(phone) == 1
    empty = anna_client.post(
        f"{base}/items/{ids['item_id']}",
        data={"csrftoken": token, "text": "", "version": "1"},
        headers=HTMX,
        follow_redirects=False,
    )
    assert empty.status_code == 422 and ITEM_MARK in empty.text
    assert reads_shown(phone) == 2
    contact_stale = anna_client.post(
        f"{base}/contacts/{ids['contact_id']}",
        data={"csrftoken": token, "name": "Mor", "phone": "12345678", "version": "7"},
        follow_redirects=False,
    )
    assert contact_stale.status_code == 409 and CONTACT_MARK in contact_stale.text
    assert reads_shown(phone) == 3


def plan_reads(client) -> list[AuditEvent]:
    with db.read_session(engine_of(client)) as session:
        return list(
            session.exec(
                select(AuditEvent)
                .where(AuditEvent.action == "plan_read")
                .order_by(col(AuditEvent.id))
            ).all()
        )


def test_reads_fold_into_one_row_per_person_and_ten_minutes(meeting, make_client):
    anna_client, phone, ids, anna, victim = meeting
    plan_url = f"/plans/{ids['plan_id']}"
    for _ in range(12):
        assert anna_client.get(plan_url).status_code == 200
    rows = plan_reads(anna_client)
    assert [(e.actor_id, e.subject_id, e.plan_id, e.count) for e in rows] == [
        (anna.id, victim.id, ids["plan_id"], 12)
    ]
    assert read_rows(phone) == [("Anna, Esbjerg Lokalpoliti", 12)]
    assert "læste planen 12 gange." in phone.get("/plan/activity").text

    # Another person's reads are their own row.
    lars = make_user(anna_client, Role.caseworker, "Lars", org=make_org(anna_client, "Kommunen"))
    with db.write_session(engine_of(anna_client)) as session:
        session.add(Grant(plan_id=ids["plan_id"], caseworker_id=lars.id, granted_by_id=victim.id))
    lars_client = make_client()
    signed_in(lars_client, lars)
    lars_client.get(plan_url)
    lars_client.get(f"{plan_url}/contacts")
    assert sorted(read_rows(phone)) == [
        ("Anna, Esbjerg Lokalpoliti", 12),
        ("Lars, Kommunen", 2),
    ]

    # Ten minutes later (the tests move time by moving the rows back): a new row.
    with db.write_session(engine_of(anna_client)) as session:
        for event in session.exec(select(AuditEvent).where(AuditEvent.action == "plan_read")):
            event.at = event.at - timedelta(minutes=10, seconds=1)
            session.add(event)
    anna_client.get(plan_url)
    anna_client.get(f"{plan_url}/print")
    counts = [(e.actor_id, e.count) for e in plan_reads(anna_client)]
    assert counts == [(anna.id, 12), (lars.id, 2), (anna.id, 2)]
    assert sorted(read_rows(phone)) == [
        ("Anna, Esbjerg Lokalpoliti", 2),
        ("Anna, Esbjerg Lokalpoliti", 12),
        ("Lars, Kommunen", 2),
    ]


def test_the_victims_own_reads_write_nothing(meeting):
    _anna_client, phone, ids, _anna, _victim = meeting
    with db.read_session(engine_of(phone)) as session:
        before = len(session.exec(select(AuditEvent)).all())
    shown = 0
    for path in get_routes(phone.app):
        for headers in ({}, HTMX):
            r = phone.get(fill(path, ids), headers=headers, follow_redirects=False)
            shown += shows_content(r.text)
    assert shown >= len(KNOWN_CONTENT)  # she did read her plan, many ways
    with db.read_session(engine_of(phone)) as session:
        assert len(session.exec(select(AuditEvent)).all()) == before
    assert read_rows(phone) == []


@pytest.mark.postgres
def test_reads_fold_on_postgres(make_client, postgres_url):
    anna_client = make_client(database_url=postgres_url)
    anna = make_user(anna_client, Role.caseworker, "Anna", org=make_org(anna_client))
    victim = make_victim(anna_client, "Maja", anna)
    with db.read_session(engine_of(anna_client)) as session:
        plan = session.exec(select(Plan).where(Plan.victim_id == victim.id)).one()
    signed_in(anna_client, anna)
    for path in ("", "/print", "/contacts"):
        assert anna_client.get(f"/plans/{plan.id}{path}").status_code == 200
    assert [(e.actor_id, e.count) for e in plan_reads(anna_client)] == [(anna.id, 3)]
