"""Issue 14 point 1: the plan is read first — a calm document without per-item forms — and
edited on demand, per section in place or the whole plan at /plans/N/edit (no JavaScript needed).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import select

from app import db
from app.auth.models import Role
from app.contacts.models import Contact
from app.plans.models import Item, Plan, Section
from tests.conftest import csrf_token
from tests.factories import engine_of, make_org, make_user, make_victim, signed_in

HTMX = {"HX-Request": "true"}


def plan_and_sections(client, victim):
    with db.read_session(engine_of(client)) as session:
        plan = session.exec(select(Plan).where(Plan.victim_id == victim.id)).one()
        sections = session.exec(
            select(Section).where(Section.plan_id == plan.id).order_by(Section.position)
        ).all()
        return plan.id, [s.id for s in sections]


def sections_of(page: str) -> str:
    """The plan's sections as the page shows them (from the list to the end of the content)."""
    return page[page.index('id="plan-sections"') : page.index("</main>")]


def test_the_plan_reads_as_a_document_with_no_forms_and_its_emergency_first(client):
    victim = make_victim(client, "Maja")
    signed_in(client, victim)
    plan_id, (first, second) = plan_and_sections(client, victim)
    page = client.get(f"/plans/{plan_id}").text
    shown = sections_of(page)
    assert "<form" not in shown and "<textarea" not in shown and "<button" not in shown
    assert page.index('href="tel:112"') < page.index("Når jeg er i akut fare")
    # Edit per section: in place with htmx, the whole plan in edit mode without JavaScript.
    for section_id in (first, second):
        assert f'href="/plans/{plan_id}/edit#section-{section_id}"' in shown
        assert f'hx-get="/plans/{plan_id}/sections/{section_id}/edit"' in shown
    assert f'id="plan-mode" href="/plans/{plan_id}/edit">Rediger hele planen' in page
    assert "Tilføj dit eget afsnit" not in page  # adding belongs to edit mode


def test_template_items_say_so_until_someone_changes_them(client):
    anna = make_user(client, Role.caseworker, "Anna", org=make_org(client))
    victim = make_victim(client, "Maja", anna)
    signed_in(client, victim)
    plan_id, (first, _second) = plan_and_sections(client, victim)
    page = client.get(f"/plans/{plan_id}").text
    assert "Ændret af" not in page  # Anna created the plan but wrote none of it
    items = re.findall(r'<li id="item-(\d+)"', sections_of(page))
    assert items and sections_of(page).count("Fra skabelonen") == len(items)
    # Anna edits one item: that one says who changed it, the rest are still the template's.
    with db.read_session(engine_of(client)) as session:
        item = session.exec(select(Item).where(Item.section_id == first)).first()
    caseworker = client.__class__(client.app)
    signed_in(caseworker, anna)
    r = caseworker.post(
        f"/plans/{plan_id}/items/{item.id}",
        data={"csrftoken": csrf_token(caseworker), "text": "Ring 112", "version": "1"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(f"/plans/{plan_id}").text
    mine = re.search(rf'<li id="item-{item.id}".*?</li>', page, re.S).group(0)
    assert "Ring 112" in mine and "Ændret af Anna" in mine and "Fra skabelonen" not in mine
    assert sections_of(page).count("Fra skabelonen") == len(items) - 1


def test_one_section_opens_for_editing_in_place_and_closes_again(client):
    victim = make_victim(client, "Maja")
    signed_in(client, victim)
    plan_id, (first, _second) = plan_and_sections(client, victim)
    editor = client.get(f"/plans/{plan_id}/sections/{first}/edit", headers=HTMX)
    assert editor.status_code == 200 and "<html" not in editor.text
    assert f'action="/plans/{plan_id}/sections/{first}/items"' in editor.text
    assert "/done" in editor.text and "Færdig med at redigere" in editor.text
    # A live refresh of an open editor fetches the editor again, not the reading view.
    assert f'hx-get="/plans/{plan_id}/sections/{first}/edit" hx-trigger=' in editor.text
    reading = client.get(f"/plans/{plan_id}/sections/{first}", headers=HTMX)
    assert reading.status_code == 200 and "<form" not in reading.text
    assert f'hx-get="/plans/{plan_id}/sections/{first}" hx-trigger=' in reading.text
    # Without htmx both answer with the plan page in the matching mode.
    plain = client.get(f"/plans/{plan_id}/sections/{first}/edit", follow_redirects=False)
    assert plain.headers["location"] == f"/plans/{plan_id}/edit#section-{first}"


def test_the_whole_plan_in_edit_mode_and_writes_come_back_to_it(client):
    victim = make_victim(client, "Maja")
    signed_in(client, victim)
    plan_id, (first, second) = plan_and_sections(client, victim)
    page = client.get(f"/plans/{plan_id}/edit").text
    for section_id in (first, second):
        assert f'action="/plans/{plan_id}/sections/{section_id}/items"' in page
    assert "Tilføj dit eget afsnit" in page
    assert f'id="plan-mode" href="/plans/{plan_id}">Færdig med at redigere' in page
    r = client.post(
        f"/plans/{plan_id}/sections/{first}/items",
        data={"csrftoken": csrf_token(client), "text": "Naboen har nøgle"},
        follow_redirects=False,
    )
    assert r.headers["location"] == f"/plans/{plan_id}/edit#section-{first}"


def test_the_alarm_button_is_on_the_victims_first_screen_only(client):
    anna = make_user(client, Role.caseworker, "Anna", org=make_org(client))
    victim = make_victim(client, "Maja", anna)
    signed_in(client, victim)
    plan_id, _sections = plan_and_sections(client, victim)
    assert "sms:" not in client.get(f"/plans/{plan_id}").text  # nobody gets the alarm yet
    with db.write_session(engine_of(client)) as session:
        session.add(
            Contact(plan_id=plan_id, name="Mor", phone="+4512345678", alarm=True, code_word="blå")
        )
    page = client.get(f"/plans/{plan_id}").text
    assert page.index('href="/diary/new">Skriv i loggen') < page.index("Når jeg er i akut fare")
    alarm = re.search(r'<a class="button button-danger button-alarm" href="([^"]+)"', page)
    assert alarm and alarm.group(1).startswith("sms:+4512345678?&amp;body=")
    assert page.index("sms:+45") < page.index("Når jeg er i akut fare")
    caseworker = client.__class__(client.app)
    signed_in(caseworker, anna)
    assert "sms:" not in caseworker.get(f"/plans/{plan_id}").text  # not from Anna's phone


def test_the_plan_page_costs_the_same_queries_as_the_database_grows(client):
    """Done when of issue 14: the same number of statements at 100, 10,000 and 100,000 items."""
    victim = make_victim(client, "Maja")
    signed_in(client, victim)
    plan_id, (first, _second) = plan_and_sections(client, victim)
    other = make_victim(client, "Other")
    other_plan, (other_section, _s) = plan_and_sections(client, other)
    engine = engine_of(client)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    def grow(plan: int, section: int, count: int) -> None:
        if not count:
            return
        rows = [{"plan_id": plan, "section_id": section, "text": f"p{n}"} for n in range(count)]
        with db.write_session(engine) as session:
            session.execute(sa.insert(Item), rows)

    counts = []
    for mine, others in ((100, 0), (0, 9_900), (0, 90_000)):
        grow(plan_id, first, mine)
        grow(other_plan, other_section, others)
        with db.read_session(engine) as session:
            total = session.execute(sa.select(sa.func.count()).select_from(Item)).scalar_one()
        event.listen(engine, "before_cursor_execute", seen)
        try:
            page = client.get(f"/plans/{plan_id}")
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        assert page.status_code == 200 and page.text.count('<li id="item-') >= 100
        counts.append((total, len(statements)))
        statements.clear()
    assert [total for total, _n in counts] >= [100, 10_000, 100_000]
    assert len({n for _total, n in counts}) == 1, counts
