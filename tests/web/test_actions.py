"""The handleplan (issue 17): who helps in which role, agreed actions the caseworkers change and
the victim sees, adds to and comments on; versioned writes with the conflict choice; every
change audited and shown in her activity; meetings and legal steps; bad input answered in
Danish with what was typed kept. No JavaScript needed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select
from starlette.testclient import TestClient

from app import db
from app.actions.models import Action, Comment, Helper, LegalStep, Meeting
from app.audit import AuditEvent
from app.auth.models import Role, User
from app.plans.models import Plan
from tests.conftest import csrf_token
from tests.factories import engine_of, make_org, make_user, make_victim, signed_in

HTMX = {"HX-Request": "true"}


def post(client, url, headers=None, **data):
    return client.post(
        url,
        data={"csrftoken": csrf_token(client), **data},
        headers=headers or {},
        follow_redirects=False,
    )


@dataclass
class Case:
    worker: TestClient
    phone: TestClient
    victim: User
    anna: User
    plan_id: int

    @property
    def url(self) -> str:
        return f"/plans/{self.plan_id}/actions"


@pytest.fixture
def case(make_client):
    worker, phone = make_client(), make_client()
    org = make_org(worker, "Esbjerg Kommune")
    anna = make_user(worker, Role.caseworker, "Anna", org)
    signed_in(worker, anna)
    victim = make_victim(phone, "Maja", anna)
    signed_in(phone, victim)
    with db.read_session(engine_of(phone)) as s:
        plan = s.exec(select(Plan).where(Plan.victim_id == victim.id)).one()
    return Case(worker, phone, victim, anna, plan.id)  # type: ignore[arg-type]


def rows(client, model):
    with db.read_session(engine_of(client)) as s:
        return list(s.exec(select(model).order_by(model.id)).all())


def add_action(client, url, **values):
    data = {"what": "Ringe til boligselskabet", "who": "victim", "due": "", "status": "agreed"}
    data.update(values)
    r = post(client, url, **data)
    assert r.status_code == 303, r.text
    return rows(client, Action)[-1]


def test_the_caseworker_agrees_an_action_and_she_sees_it_with_who_helps(case):
    r = post(
        case.worker,
        f"{case.url}/people/{case.anna.id}",
        role="contact",
        reach="Ring 76 16 00 00",
        version="0",
    )
    assert r.status_code == 303
    action = add_action(
        case.worker, case.url, who=f"cw-{case.anna.id}", due="2026-12-10", note="Før mødet"
    )
    assert action.what == "Ringe til boligselskabet" and action.who == "caseworker"
    page = case.phone.get(case.url)
    assert page.status_code == 200
    text = page.text
    assert "Min handleplan" in text and "Fast kontaktperson" in text
    # The fixed contact person and how to reach them come first, before the actions.
    assert text.index("Ring 76 16 00 00") < text.index("Ringe til boligselskabet")
    assert "Anna, Esbjerg Kommune" in text and "Før mødet" in text and "10-12-2026" in text
    # The plan links to it.
    assert f'href="/plans/{case.plan_id}/actions"' in case.phone.get(f"/plans/{case.plan_id}").text


def test_status_changes_are_versioned_and_the_stale_one_is_refused(case):
    action = add_action(case.worker, case.url)
    r = post(case.worker, f"{case.url}/{action.id}/status", status="started", version="1")
    assert r.status_code == 303
    stale = post(case.phone, f"{case.url}/{action.id}/status", status="done", version="1")
    assert stale.status_code == 409 and "Siden er ikke opdateret" in stale.text
    assert rows(case.worker, Action)[-1].status == "started"


def test_a_concurrent_edit_meets_the_conflict_choice(case):
    action = add_action(case.worker, case.url)
    first = post(
        case.worker,
        f"{case.url}/{action.id}",
        what="Ringe til udlejer",
        who="victim",
        status="agreed",
        version="1",
    )
    assert first.status_code == 303
    second = post(
        case.worker,
        f"{case.url}/{action.id}",
        what="Skrive til udlejer",
        who="victim",
        status="agreed",
        version="1",
        headers=HTMX,
    )
    assert second.status_code == 409
    assert "Ringe til udlejer" in second.text and "Skrive til udlejer" in second.text
    assert second.headers["HX-Retarget"] == "#main"
    assert 'name="version" value="2"' in second.text  # saving mine now is a choice made knowingly
    assert rows(case.worker, Action)[-1].what == "Ringe til udlejer"


def test_she_adds_her_own_and_comments_but_changes_only_what_is_hers(case):
    theirs = add_action(case.worker, case.url, who="police", what="Tale med politiet")
    mine = add_action(case.phone, case.url, who="police", status="done", what="Gemme sms'erne")
    assert mine.who == "victim" and mine.status == "agreed"  # her own add is hers, agreed
    r = post(case.phone, f"{case.url}/{theirs.id}/status", status="dropped", version="1")
    assert r.status_code == 403 and "Kun sagsbehandlerne" in r.text
    r = post(case.phone, f"{case.url}/{theirs.id}/comments", text="Jeg har ringet 114")
    assert r.status_code == 303
    assert rows(case.phone, Comment)[-1].text == "Jeg har ringet 114"
    assert (
        post(case.phone, f"{case.url}/{mine.id}/status", status="done", version="1").status_code
        == 303
    )
    assert "Jeg har ringet 114" in case.worker.get(case.url).text
    # What the caseworker asked her to do: she sets its status, the wording stays theirs.
    hers = add_action(case.worker, case.url, who="victim", what="Skrive logbog")
    r = post(case.phone, f"{case.url}/{hers.id}/status", status="started", version="1")
    assert r.status_code == 303
    r = post(case.phone, f"{case.url}/{hers.id}", what="Noget andet", version="2")
    assert r.status_code == 403 and rows(case.phone, Action)[-1].what == "Skrive logbog"
    # The roles in the case are the caseworkers' to give.
    r = post(case.phone, f"{case.url}/people/{case.anna.id}", role="contact", version="0")
    assert r.status_code == 403 and not rows(case.phone, Helper)


def test_every_change_is_audited_and_others_changes_are_in_her_activity(case):
    assert case.worker.get(case.url).status_code == 200
    action = add_action(case.worker, case.url)
    post(case.worker, f"{case.url}/{action.id}/status", status="done", version="1")
    add_action(case.phone, case.url, what="Mit eget")
    with db.read_session(engine_of(case.worker)) as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.plan_id == case.plan_id)).all()
    done = [(e.action, e.actor_id) for e in events if e.action.startswith("action_")]
    assert done == [
        ("action_added", case.anna.id),
        ("action_changed", case.anna.id),
        ("action_added", case.victim.id),
    ]
    activity = case.phone.get("/plan/activity").text
    assert "Anna, Esbjerg Kommune: aftale tilføjet til handleplanen." in activity
    assert "Anna, Esbjerg Kommune læste din handleplan." in activity


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("due", "31-02-2026", "Skriv datoen som dag-måned-år"),
        ("due", "01-01-1850", "Den dato ligger for langt væk"),
        ("due", "01-01-9999", "Den dato ligger for langt væk"),
        ("status", "finished", "Vælg en af statusserne på listen."),
        ("who", "cw-999999", "Vælg, hvem der gør det, på listen."),
        ("who", "boss", "Vælg, hvem der gør det, på listen."),
        ("what", "x" * 201, "højst være 200 tegn"),
        ("note", "x" * 501, "højst være 500 tegn"),
        ("what", "", "Skriv, hvad der skal gøres."),
    ],
)
def test_bad_input_is_refused_in_danish_and_what_was_typed_stays(case, field, value, message):
    data = {
        "what": "Ringe til kommunen",
        "who": "victim",
        "status": "agreed",
        "note": "Husk",
        field: value,
    }
    r = post(case.worker, case.url, **data)
    assert r.status_code == 422 and message in r.text
    assert 'aria-invalid="true"' in r.text
    if field != "what":
        assert "Ringe til kommunen" in r.text
    assert not rows(case.worker, Action)


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/people/{anna}", {"role": "boss", "version": "0"}),
        ("/people/{anna}", {"role": "contact", "reach": "x" * 101, "version": "0"}),
        ("/meetings", {"at": "i morgen"}),
        ("/meetings", {"at": "01-01-1900 10:00"}),
        ("/legal", {"kind": "tilhold"}),
        ("/legal", {"kind": "restraining", "started": "2026-01-01", "ends": "2032-01-01"}),
        ("/legal", {"kind": "eviction", "started": "2026-01-01", "ends": "2026-02-15"}),
        ("/legal", {"kind": "interim", "started": "2026-02-01", "ends": "2026-01-01"}),
    ],
)
def test_bad_meetings_roles_and_legal_steps_get_a_danish_4xx(case, url, data):
    r = post(case.worker, case.url + url.format(anna=case.anna.id), **data)
    assert r.status_code == 422, r.text
    assert 'aria-invalid="true"' in r.text
    assert not rows(case.worker, Meeting) and not rows(case.worker, LegalStep)


@pytest.mark.parametrize("version", ["", "abc", "-1", "1e3"])
def test_a_junk_version_is_a_danish_400(case, version):
    action = add_action(case.worker, case.url)
    r = post(case.worker, f"{case.url}/{action.id}/status", status="done", version=version)
    assert r.status_code == 400 and "Formularen kunne ikke læses" in r.text


def test_non_numeric_and_foreign_ids_are_404(case, make_client):
    assert case.worker.get(f"/plans/{case.plan_id}x/actions").status_code == 404
    assert (
        post(case.worker, f"{case.url}/abc/status", status="done", version="1").status_code == 404
    )
    other = make_victim(case.worker, "Other")
    with db.write_session(engine_of(case.worker)) as s:
        plan = s.exec(select(Plan).where(Plan.victim_id == other.id)).one()
        foreign = Action(plan_id=plan.id, what="Hemmeligt")
        s.add(foreign)
        s.flush()
        foreign_id = foreign.id
    r = post(case.worker, f"{case.url}/{foreign_id}/status", status="done", version="1")
    assert r.status_code == 404


def test_meetings_link_what_was_agreed_and_legal_steps_show_when_the_next_step_is_due(case):
    r = post(
        case.worker,
        f"{case.url}/meetings",
        at="2030-03-02T10:00",
        by_phone="1",
        attendees="Maja, Anna",
    )
    assert r.status_code == 303
    meeting = rows(case.worker, Meeting)[-1]
    add_action(case.worker, case.url, what="Søge om adressebeskyttelse", meeting=str(meeting.id))
    r = post(
        case.worker,
        f"{case.url}/legal",
        kind="interim",
        started="2026-03-01",
        reference="4400-12345-00012-26",
    )
    assert r.status_code == 303
    page = case.phone.get(case.url).text
    assert "Næste møde:" in page and "02-03-2030 10:00" in page and "telefon" in page
    assert 'href="#action-' in page  # what was agreed links to the action
    assert "Endelig afgørelse senest" in page and "30-04-2026" in page  # 60 days after
    assert "4400-12345-00012-26" in page
    # Her plan shows the next meeting.
    plan = case.phone.get(f"/plans/{case.plan_id}").text
    assert "Næste møde" in plan and "02-03-2030 10:00" in plan


def test_the_body_alone_for_htmx(case):
    r = post(case.worker, case.url, headers=HTMX, what="Ny aftale", who="victim", status="agreed")
    assert r.status_code == 200 and r.text.lstrip().startswith('<div id="actions-body"')
    assert "Ny aftale" in r.text


def test_a_refused_write_shows_the_plan_so_it_is_recorded_as_a_read(case):
    post(case.worker, case.url, what="", who="victim")
    with db.read_session(engine_of(case.worker)) as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.plan_id == case.plan_id)).all()
    assert any(e.action == "plan_read" and e.detail == "refused" for e in events)


def _fixed(monkeypatch, moment):
    from app.actions import queries, routes

    monkeypatch.setattr(routes, "now", lambda: moment)
    monkeypatch.setattr(queries, "now", lambda: moment)


def test_her_plan_shows_what_is_hers_to_do_soon_with_a_fixed_clock(case, monkeypatch):
    moment = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
    _fixed(monkeypatch, moment)
    add_action(case.worker, case.url, what="Hente papirer", due="2026-06-08")
    add_action(case.worker, case.url, what="Skrive logbog", due="2026-06-12")
    add_action(case.worker, case.url, what="Langt ude", due="2026-09-01")
    add_action(case.worker, case.url, what="Politiets opgave", who="police", due="2026-06-09")
    plan = case.phone.get(f"/plans/{case.plan_id}").text
    assert "Forfalden siden 08-06-2026" in plan and "Senest 12-06-2026" in plan
    assert plan.index("Hente papirer") < plan.index("Skrive logbog")
    assert "Langt ude" not in plan and "Politiets opgave" not in plan


def test_what_is_typed_is_sealed_at_rest(case):
    add_action(case.worker, case.url, what="Hemmelig adresse Vestergade 7")
    with engine_of(case.worker).connect() as conn:
        raw = conn.exec_driver_sql("SELECT what FROM case_action").scalar()
    assert b"Vestergade" not in bytes(raw)


def _case_with(client, anna, name, due_days, moment):
    """A victim granted to Anna with one open action per ``due_days`` (days from ``moment``),
    a done one overdue (never shown), a meeting in two days and a strakstilhold issued 55 days
    ago (its decision is due in five)."""
    victim = make_victim(client, name, anna)
    today = moment.date()
    with db.write_session(engine_of(client)) as s:
        plan = s.exec(select(Plan).where(Plan.victim_id == victim.id)).one()
        for days in due_days:
            s.add(
                Action(plan_id=plan.id, what=f"Hemmelig {name}", due=today + timedelta(days=days))
            )
        s.add(Action(plan_id=plan.id, what="Gjort", due=today - timedelta(days=9), status="done"))
        s.add(Meeting(plan_id=plan.id, at=moment + timedelta(days=2)))
        s.add(LegalStep(plan_id=plan.id, kind="interim", started=today - timedelta(days=55)))
    return plan.id


def test_the_caseload_shows_what_is_due_most_urgent_first_in_constant_queries(case, monkeypatch):
    moment = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
    _fixed(monkeypatch, moment)
    bo = _case_with(case.worker, case.anna, "Bo", [3, -4], moment)
    _case_with(case.worker, case.anna, "Cai", [1, 30], moment)
    engine = engine_of(case.worker)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    def load() -> tuple[str, int]:
        event.listen(engine, "before_cursor_execute", seen)
        try:
            page = case.worker.get("/people")
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        count = len(statements)
        statements.clear()
        assert page.status_code == 200
        return page.text, count

    page, few = load()
    top = page[page.index('id="due-soon"') : page.index("Mine sager")]
    lines = re.findall(r"<li>(.*?)</li>", top, re.S)
    texts = [" ".join(re.sub(r"<[^>]+>", "", line).split()) for line in lines]
    # Bo's overdue action first; then Cai's tomorrow; the two meetings; Bo's action in three
    # days; the two decisions due in five. Cai's action in 30 days and done ones: not shown.
    assert texts == [
        "Bo: Forfalden siden 06-06-2026 · Aftale (Aftalt)",
        "Cai: 11-06-2026 · Aftale (Aftalt)",
        "Bo: 12-06-2026 · Møde",
        "Cai: 12-06-2026 · Møde",
        "Bo: 13-06-2026 · Aftale (Aftalt)",
        "Bo: 15-06-2026 · Strakstilhold",
        "Cai: 15-06-2026 · Strakstilhold",
    ]
    assert "Hemmelig" not in page  # kinds and dates: no text of any case
    assert f'href="/plans/{bo}/actions"' in page
    for n in range(6):
        _case_with(case.worker, case.anna, f"P{n}", [n - 2, n], moment)
    page, many = load()
    assert few == many
    # Each case shows its three most urgent; the rest are counted, in the handleplan.
    assert "1 mere i handleplanen." in page


def test_the_plans_download_holds_the_handleplan(case):
    post(case.worker, f"{case.url}/meetings", at="2030-03-02T10:00", place="Rådhuset")
    add_action(case.worker, case.url, what="Søge om adressebeskyttelse", due="2026-12-10")
    post(case.worker, f"{case.url}/legal", kind="protection", started="2026-03-01")
    data = case.phone.get(f"/plans/{case.plan_id}/download").json()
    assert data["sections"] and data["actions"][0]["what"] == "Søge om adressebeskyttelse"
    assert data["actions"][0]["due"] == "2026-12-10"
    assert data["meetings"][0]["place"] == "Rådhuset"
    assert data["legal_steps"][0]["next_step_due"] == "2027-03-01"


def test_overdue_means_by_the_danish_day_not_the_utc_one(case, monkeypatch):
    # 22:30 UTC on 9 June is 00:30 on 10 June in Denmark: an action due on the 9th is overdue.
    _fixed(monkeypatch, datetime(2026, 6, 9, 22, 30, tzinfo=UTC))
    add_action(case.worker, case.url, what="Hente papirer", due="2026-06-09")
    assert "Forfalden siden 09-06-2026" in case.phone.get(f"/plans/{case.plan_id}").text
    assert "Forfalden siden 09-06-2026" in case.worker.get("/people").text
