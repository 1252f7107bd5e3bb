"""Restoring a deleted item or contact (issue 12, points 8 and 9).

Only the victim decides who gets the alarm: a caseworker's restore brings a contact back without
the alarm. A restore is a conditional write like every other (the version seen, still deleted):
a lost race answers 409, never a silent overwrite — on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
import threading

import pytest
from sqlmodel import col, select

from app import db
from app.audit import AuditEvent
from app.auth.models import Role
from app.contacts.models import Contact
from app.plans.models import Item, Plan, Section
from tests.conftest import csrf_token
from tests.factories import engine_of, form, make_org, make_user, make_victim, signed_in

HTMX = {"HX-Request": "true"}
MOR = "+4512345678"


def meeting(make_client, **overrides):
    """Anna (caseworker, granted) and Maja (the victim) on their own clients."""
    anna_client = make_client(**overrides)
    org = make_org(anna_client, "Esbjerg Lokalpoliti")
    anna = make_user(anna_client, Role.caseworker, "Anna", org=org)
    victim = make_victim(anna_client, "Maja", anna)
    with db.read_session(engine_of(anna_client)) as session:
        plan = session.exec(select(Plan).where(Plan.victim_id == victim.id)).one()
    signed_in(anna_client, anna)
    phone = make_client(**overrides)
    signed_in(phone, victim)
    return anna_client, phone, plan.id


def row(client, model, row_id):
    with db.read_session(engine_of(client)) as session:
        return session.get(model, row_id)


def alarm_link(phone, plan_id) -> str:
    """Where the victim's alarm button sends to ("" when nobody gets the alarm)."""
    page = phone.get(f"/plans/{plan_id}/contacts").text
    found = re.search(r'<a class="[^"]*button-alarm[^"]*" href="([^"]*)" data-alarm', page)
    return found.group(1) if found else ""


# ---------------------------------------------------------------- point 8: the alarm


def test_a_caseworkers_restore_never_puts_a_number_back_in_the_alarm(make_client):
    anna_client, phone, plan_id = meeting(make_client)
    url = f"/plans/{plan_id}/contacts"
    assert form(phone, url, name="Mor", phone="12 34 56 78", alarm="1").status_code == 303
    with db.read_session(engine_of(phone)) as session:
        mor = session.exec(select(Contact).where(Contact.plan_id == plan_id)).one()
    assert MOR in alarm_link(phone, plan_id)
    assert form(phone, f"{url}/{mor.id}/delete", version=str(mor.version)).status_code == 303
    assert MOR not in alarm_link(phone, plan_id)

    deleted = row(phone, Contact, mor.id)
    restored = form(anna_client, f"{url}/{mor.id}/restore", version=str(deleted.version))
    assert restored.status_code == 303
    back = row(phone, Contact, mor.id)
    assert back.deleted_at is None and back.alarm is False
    assert f'id="contact-{mor.id}"' in phone.get(url).text  # the contact is back
    assert MOR not in alarm_link(phone, plan_id)  # but not in the alarm
    with db.read_session(engine_of(phone)) as session:
        details = session.exec(
            select(AuditEvent.detail).where(AuditEvent.action == "plan_changed")
        ).all()
    assert details == [f"contact={mor.id} restore alarm_off"]

    # The victim turns it on again; her own delete and undo keep it.
    on = form(
        phone, f"{url}/{mor.id}", name="Mor", phone="12345678", alarm="1", version=str(back.version)
    )
    assert on.status_code == 303 and MOR in alarm_link(phone, plan_id)
    mor = row(phone, Contact, mor.id)
    assert form(phone, f"{url}/{mor.id}/delete", version=str(mor.version)).status_code == 303
    mor = row(phone, Contact, mor.id)
    assert form(phone, f"{url}/{mor.id}/restore", version=str(mor.version)).status_code == 303
    assert row(phone, Contact, mor.id).alarm is True
    assert MOR in alarm_link(phone, plan_id)


# ---------------------------------------------------------------- point 9: conditional restore


def first_item(client, plan_id) -> Item:
    with db.read_session(engine_of(client)) as session:
        section = session.exec(
            select(Section).where(Section.plan_id == plan_id).order_by(col(Section.position))
        ).first()
        return session.exec(
            select(Item).where(Item.section_id == section.id).order_by(col(Item.position))
        ).first()


def test_a_restore_with_a_stale_version_is_refused(make_client):
    anna_client, phone, plan_id = meeting(make_client)
    item = first_item(phone, plan_id)
    base = f"/plans/{plan_id}/items/{item.id}"
    seen = item.version
    deleted = form(phone, f"{base}/delete", headers=HTMX, version=str(seen))
    assert deleted.status_code == 200
    gone = row(phone, Item, item.id)
    # The undo form carries the version it saw (no JavaScript needed).
    undo = re.search(rf'<form[^>]*action="{base}/restore".*?</form>', deleted.text, re.S)
    assert undo and f'name="version" value="{gone.version}"' in undo.group(0)

    # A form from before the delete (the version it saw is gone): refused, nothing written.
    stale = form(anna_client, f"{base}/restore", text="Min gamle tekst", version=str(seen))
    assert stale.status_code == 409 and "Min gamle tekst" in stale.text
    assert row(phone, Item, item.id).deleted_at is not None
    # The conflict page's "restore with my text" carries the version it showed.
    assert f'name="version" value="{gone.version}"' in stale.text

    won = form(anna_client, f"{base}/restore", text="Rådgiverens tekst", version=str(gone.version))
    assert won.status_code == 303
    # The same restore again (a second tab, a double submit): the item is no longer deleted.
    late = form(phone, f"{base}/restore", text="Majas tekst", version=str(gone.version))
    assert late.status_code == 409
    assert "Rådgiverens tekst" in late.text and "Majas tekst" in late.text
    undo_late = form(phone, f"{base}/restore", headers=HTMX, version=str(gone.version))
    assert undo_late.status_code == 409
    assert row(phone, Item, item.id).text == "Rådgiverens tekst"


def test_a_contact_restore_with_a_stale_version_is_refused(make_client):
    anna_client, phone, plan_id = meeting(make_client)
    url = f"/plans/{plan_id}/contacts"
    assert form(phone, url, name="Far", phone="87654321").status_code == 303
    with db.read_session(engine_of(phone)) as session:
        far = session.exec(select(Contact).where(Contact.plan_id == plan_id)).one()
    deleted = form(phone, f"{url}/{far.id}/delete", headers=HTMX, version=str(far.version))
    gone = row(phone, Contact, far.id)
    undo = re.search(rf'<form[^>]*action="{url}/{far.id}/restore".*?</form>', deleted.text, re.S)
    assert undo and f'name="version" value="{gone.version}"' in undo.group(0)
    stale = form(anna_client, f"{url}/{far.id}/restore", version=str(far.version))
    assert stale.status_code == 409 and "Siden er ikke opdateret" in stale.text
    assert row(phone, Contact, far.id).deleted_at is not None
    assert form(phone, f"{url}/{far.id}/restore", version=str(gone.version)).status_code == 303
    again = form(anna_client, f"{url}/{far.id}/restore", version=str(gone.version))
    assert again.status_code == 409
    assert form(phone, f"{url}/{far.id}/restore").status_code == 400  # no version: bad form


def race(calls):
    """Run the calls at the same moment, each in its own thread; their answers by name."""
    barrier = threading.Barrier(len(calls), timeout=120)  # only so a bug cannot hang the run
    answers = {}

    def run(name, call):
        barrier.wait()
        answers[name] = call()

    threads = [threading.Thread(target=run, args=pair) for pair in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(answers) == set(calls)  # no thread died
    return answers


@pytest.mark.postgres
def test_concurrent_restores_on_postgres_exactly_one_wins(make_client, postgres_url):
    """Two people restore the same deleted item with different texts at the same moment: one
    wins (303), the other is shown the conflict (409), and the stored text is the winner's."""
    anna_client, phone, plan_id = meeting(make_client, database_url=postgres_url)
    item_id = first_item(phone, plan_id).id
    base = f"/plans/{plan_id}/items/{item_id}"
    people = {"anna": anna_client, "maja": phone}
    for who in people.values():
        csrf_token(who)  # each client has its CSRF cookie before the threads start
    for attempt in range(20):
        current = row(phone, Item, item_id)
        assert form(phone, f"{base}/delete", version=str(current.version)).status_code == 200
        seen = str(row(phone, Item, item_id).version)
        answers = race(
            {
                name: lambda who=who, text=f"{name} {attempt}", seen=seen: form(
                    who, f"{base}/restore", text=text, version=seen
                )
                for name, who in people.items()
            }
        )
        statuses = sorted(r.status_code for r in answers.values())
        assert statuses == [303, 409], (attempt, statuses)
        winner = next(name for name, r in answers.items() if r.status_code == 303)
        loser = next(name for name, r in answers.items() if r.status_code == 409)
        stored = row(phone, Item, item_id)
        assert stored.deleted_at is None and stored.text == f"{winner} {attempt}"
        assert f"{winner} {attempt}" in answers[loser].text  # shown, next to their own text
        assert f"{loser} {attempt}" in answers[loser].text
