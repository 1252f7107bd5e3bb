"""Emergency contacts, the alarm link and organisation hotlines (no JavaScript needed)."""

import html
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlmodel import select

from app import db
from app.audit import AuditEvent
from app.auth.models import Role
from app.clock import now
from app.contacts.models import Contact, Hotline
from app.plans.models import Grant, Plan
from tests.conftest import csrf_token, same_csrf
from tests.factories import engine_of, make_org, make_user, make_victim, signed_in, unkeyed


def form(client, url, headers=None, **data):
    return client.post(
        url,
        data={"csrftoken": csrf_token(client), **data},
        headers=headers or {},
        follow_redirects=False,
    )


HTMX = {"HX-Request": "true"}


def plan_of(client, victim):
    with db.read_session(engine_of(client)) as session:
        return session.exec(select(Plan).where(Plan.victim_id == victim.id)).one()


@pytest.fixture
def victim_client(client):
    victim = make_victim(client, "Maja")
    signed_in(client, victim)
    client.plan_id, client.victim = plan_of(client, victim).id, victim
    client.url = f"/plans/{client.plan_id}/contacts"
    return client


def contacts(client, plan_id=None, deleted=False):
    with db.read_session(engine_of(client)) as session:
        rows = session.exec(
            select(Contact)
            .where(Contact.plan_id == (plan_id or client.plan_id))
            .order_by(Contact.position, Contact.id)
        ).all()
    return [c for c in rows if deleted or c.deleted_at is None]


def add(client, name="Mor", phone="12 34 56 78", **extra):
    r = form(client, client.url, name=name, phone=phone, **extra)
    assert r.status_code == 303, r.text
    return next(c for c in reversed(contacts(client)) if c.name == name)


def contact_block(page: str, contact_id: int) -> str:
    start = page.index(f'<li class="contact card" id="contact-{contact_id}"')
    return page[start : page.index("</li>", start)]


def alarm_href(page: str) -> str | None:
    match = re.search(r'<a [^>]*href="([^"]+)"[^>]*data-alarm', page)
    return html.unescape(match.group(1)) if match else None


# ---------------------------------------------------------------- the page


def test_112_and_114_are_always_there_first_and_cannot_be_changed(victim_client):
    c = victim_client
    r = c.get("/contacts", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == c.url
    page = c.get(c.url).text
    assert 'href="/contacts">Mine kontakter</a>' in page  # the victim's main menu
    assert "Alarmcentralen · 112" in page and "Politiet · 114" in page
    assert 'href="tel:112"' in page and 'href="tel:114"' in page
    assert page.index('href="tel:112"') < page.index('id="alarm"') < page.index("Tilføj en kontakt")
    assert "Ingen kontakter endnu" in page
    # Nothing to edit, move or delete for the fixed numbers.
    fixed = page[page.index('id="emergency-heading"') : page.index('id="contacts"')]
    assert "<form" not in fixed and "delete" not in fixed
    add(c, "Mor")
    page = c.get(c.url).text
    assert 'href="tel:112"' in page and 'href="tel:114"' in page
    assert "<title>Noter – Kontakter</title>" in page  # no contact name in the title


def test_a_victim_without_a_plan_gets_one_first(client):
    newcomer = make_user(client, Role.victim, "Ny")
    signed_in(client, newcomer)
    r = client.get("/contacts", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/plan"
    plan_id = plan_of(client, newcomer).id if client.get("/plan").status_code == 200 else None
    assert client.get("/contacts", follow_redirects=False).headers["location"] == (
        f"/plans/{plan_id}/contacts"
    )


def test_contacts_link_from_the_plan(victim_client):
    c = victim_client
    plan_page = c.get(f"/plans/{c.plan_id}").text
    assert f'href="/plans/{c.plan_id}/contacts#alarm"' in plan_page
    assert f'href="/plans/{c.plan_id}/contacts"' in plan_page


def test_add_edit_move_delete_and_undo_with_plain_forms(victim_client):
    c = victim_client
    r = form(
        c,
        c.url,
        name="Mor",
        relation="mor",
        phone="12 34 56 78",
        knows="Alt om sagen",
        code_word="blå cykel",
        alarm="1",
    )
    assert r.status_code == 303
    mor = contacts(c)[0]
    assert r.headers["location"] == f"{c.url}#contact-{mor.id}"
    assert (mor.name, mor.relation, mor.phone, mor.knows, mor.code_word, mor.alarm) == (
        "Mor",
        "mor",
        "+4512345678",
        "Alt om sagen",
        "blå cykel",
        True,
    )
    page = c.get(c.url).text
    block = contact_block(page, mor.id)
    assert "+45 12 34 56 78" in block and "Alt om sagen" in block and "blå cykel" in block
    assert "Ændret af Maja" in block

    # Edit: everything, and the alarm off (an unticked box is not sent).
    r = form(
        c,
        f"{c.url}/{mor.id}",
        name="Mormor",
        relation="bedstemor",
        phone="+46 70 123 45 67",
        knows="",
        code_word="",
        version="1",
    )
    assert r.status_code == 303
    mor = contacts(c)[0]
    assert (mor.name, mor.phone, mor.knows, mor.alarm, mor.version) == (
        "Mormor",
        "+46701234567",
        "",
        False,
        2,
    )

    # Move: the new contact goes last; moving it up swaps the two.
    far = add(c, "Far", "87654321")
    assert [x.name for x in contacts(c)] == ["Mormor", "Far"]
    assert form(c, f"{c.url}/{far.id}/move", direction="up", version="1").status_code == 303
    assert [x.name for x in contacts(c)] == ["Far", "Mormor"]
    form(c, f"{c.url}/{far.id}/move", direction="down", version="2")
    assert [x.name for x in contacts(c)] == ["Mormor", "Far"]

    # Delete asks first (without JavaScript, on a page of its own), then can be undone.
    confirm = c.get(f"{c.url}/{far.id}/delete")
    assert confirm.status_code == 200 and "Slet denne kontakt?" in confirm.text
    assert "Far" in confirm.text and "+45 87 65 43 21" in confirm.text
    assert "Du kan fortryde i 30 minutter." in confirm.text
    far = next(x for x in contacts(c) if x.name == "Far")
    gone = form(c, f"{c.url}/{far.id}/delete", version=str(far.version))
    assert (
        gone.status_code == 303 and gone.headers["location"] == f"{c.url}?deleted={far.id}#contacts"
    )
    assert [x.name for x in contacts(c)] == ["Mormor"]
    undo_page = c.get(gone.headers["location"]).text
    assert "Far blev slettet." in undo_page and f"/contacts/{far.id}/restore" in undo_page
    assert f'id="contact-{far.id}"' not in undo_page
    restore = form(c, f"{c.url}/{far.id}/restore", version=str(far.version + 1))
    assert restore.status_code == 303
    assert [x.name for x in contacts(c)] == ["Mormor", "Far"]  # back in its place
    assert "blev slettet" not in c.get(f"{c.url}?deleted={far.id}").text


def test_htmx_gets_the_list_partial_that_the_page_includes(victim_client):
    c = victim_client
    r = form(c, c.url, headers=HTMX, name="Naboen Jens", phone="20304050", alarm="1")
    assert r.status_code == 200 and "<html" not in r.text
    assert "HX-Request" in r.headers["vary"].split(", ")  # and Accept-Encoding (gzip)
    assert r.text.strip().startswith('<div id="contacts" class="contacts">')
    page = unkeyed(same_csrf(c.get(c.url).text))
    assert unkeyed(same_csrf(r.text).strip()) in page  # the page includes exactly this partial
    jens = contacts(c)[0]
    moved = form(c, f"{c.url}/{jens.id}/move", headers=HTMX, direction="down", version="1")
    assert moved.status_code == 200
    assert unkeyed(same_csrf(moved.text).strip()) in unkeyed(same_csrf(c.get(c.url).text))
    deleted = form(c, f"{c.url}/{jens.id}/delete", headers=HTMX, version="2")
    assert deleted.status_code == 200 and "Naboen Jens blev slettet." in deleted.text
    assert f'id="contact-{jens.id}"' not in deleted.text
    restored = form(c, f"{c.url}/{jens.id}/restore", headers=HTMX, version="3")
    assert restored.status_code == 200 and f'id="contact-{jens.id}"' in restored.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "   ", "Skriv et navn."),
        ("name", "N" * 101, "Navnet må højst være 100 tegn."),
        ("relation", "R" * 101, "Relationen må højst være 100 tegn."),
        ("knows", "K" * 501, "Teksten må højst være 500 tegn."),
        ("code_word", "C" * 101, "Kodeordet må højst være 100 tegn."),
        ("phone", "", "Skriv et telefonnummer."),
        ("phone", "ring til mor", "Det er ikke et telefonnummer, vi kan bruge."),
    ],
)
def test_bad_input_is_explained_in_danish_and_nothing_is_saved(
    victim_client, field, value, message
):
    c = victim_client
    good = {
        "name": "Mor",
        "relation": "mor",
        "phone": "12345678",
        "knows": "det hele",
        "code_word": "æble",
    }
    for headers in ({}, HTMX):
        r = form(c, c.url, headers=headers, **(good | {field: value}))
        assert r.status_code == 422 and message in r.text
        assert 'aria-invalid="true"' in r.text
        if value.strip():
            assert value in r.text  # the draft comes back for correcting
        assert ("æble" if field == "knows" else "det hele") in r.text  # and the other fields
        assert contacts(c) == []

    # The same when editing: the old contact stays as it was.
    mor = add(c, **good)
    typed = good | {"relation": "ny relation", field: value}
    r = form(c, f"{c.url}/{mor.id}", version="1", **typed)
    assert r.status_code == 422 and message in r.text
    assert ("ny relation" if field != "relation" else value) in r.text
    block = contact_block(r.text, mor.id)
    assert '<details class="item-edit" open>' in block  # the editor stays open
    after = contacts(c)[0]
    saved = good | {"phone": "+4512345678"}
    assert (after.relation, getattr(after, field), after.version) == ("mor", saved[field], 1)


@pytest.mark.parametrize(
    ("typed", "stored", "shown"),
    [
        ("12345678", "+4512345678", "+45 12 34 56 78"),
        ("12 34 56 78", "+4512345678", "+45 12 34 56 78"),
        ("+45 12 34 56 78", "+4512345678", "+45 12 34 56 78"),
        ("0045 12 34 56 78", "+4512345678", "+45 12 34 56 78"),
        ("(+45) 20-30-40-50", "+4520304050", "+45 20 30 40 50"),
        ("+46 70 123 45 67", "+46701234567", "+46 70 123 45 67"),
        ("0046 70 123 45 67", "+46701234567", "+46 70 123 45 67"),
        ("+44 20 7946 0958", "+442079460958", "+44 20 7946 0958"),
    ],
)
def test_danish_and_international_numbers_are_normalised(victim_client, typed, stored, shown):
    c = victim_client
    contact = add(c, "Mor", typed)
    assert contact.phone == stored
    block = contact_block(c.get(c.url).text, contact.id)
    assert shown in block
    assert f'href="tel:{stored}"' in block and f'href="sms:{stored}"' in block


@pytest.mark.parametrize(
    "typed",
    ["1234", "112", "123456789", "+45 1234", "+999 12345678", "1-800-FLOWERS", "12345678 ext 2"],
)
def test_invalid_numbers_are_refused(victim_client, typed):
    c = victim_client
    r = form(c, c.url, name="Mor", phone=typed)
    assert r.status_code == 422 and "Det er ikke et telefonnummer, vi kan bruge." in r.text
    assert contacts(c) == []


def test_html_and_script_are_inert_in_every_field(victim_client):
    c = victim_client
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)> hx-post="/x" {{7*7}}'
    fields = {"name": evil, "relation": evil, "knows": evil, "code_word": evil}
    contact = add(c, phone="12345678", alarm="1", **fields)
    assert contact.name == " ".join(evil.split())
    for page in (
        c.get(c.url).text,
        c.get(f"{c.url}/{contact.id}/delete").text,
        form(c, c.url, headers=HTMX, name="", phone="x", knows=evil, code_word=evil).text,
    ):
        assert "<script>alert(1)" not in page and "<img src=x" not in page
        assert 'hx-post="/x"' not in page and "{{7*7}}" in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # The code word travels in the alarm link percent-encoded: no markup, no extra parameters.
    href = alarm_href(c.get(c.url).text)
    assert "<" not in href and "&body=" in href and href.count("&") == 1
    # A phone field cannot carry anything but a number.
    r = form(c, c.url, name="X", phone='12345678"><script>')
    assert r.status_code == 422 and '"><script>' not in r.text


def test_stale_edit_is_refused_with_both_versions_and_nothing_is_overwritten(victim_client):
    c = victim_client
    mor = add(c, "Mor", "12345678", knows="Fra start")
    first = form(
        c, f"{c.url}/{mor.id}", name="Mor", phone="12345678", knows="Rådgiveren skrev", version="1"
    )
    assert first.status_code == 303
    r = form(c, f"{c.url}/{mor.id}", name="Mor", phone="87654321", knows="Jeg skrev", version="1")
    assert r.status_code == 409
    assert "En anden har ændret denne kontakt" in r.text
    assert "Rådgiveren skrev" in r.text and "Jeg skrev" in r.text
    assert "+45 87 65 43 21" in r.text  # mine, ready to save again
    now_row = contacts(c)[0]
    assert (now_row.knows, now_row.phone, now_row.version) == ("Rådgiveren skrev", "+4512345678", 2)
    # The conflict page's form carries the current version: saving mine now works.
    assert 'name="version" value="2"' in r.text
    keep_mine = form(
        c, f"{c.url}/{mor.id}", name="Mor", phone="87654321", knows="Jeg skrev", version="2"
    )
    assert keep_mine.status_code == 303 and contacts(c)[0].knows == "Jeg skrev"

    # htmx: the conflict replaces the main content, not the list.
    r = form(c, f"{c.url}/{mor.id}", headers=HTMX, name="Mor", phone="12345678", version="1")
    assert r.status_code == 409 and "<html" not in r.text
    assert r.headers["hx-retarget"] == "#main" and r.headers["hx-reswap"] == "innerHTML"


def test_stale_move_and_delete_are_refused(victim_client):
    c = victim_client
    mor = add(c, "Mor")
    add(c, "Far", "87654321")
    form(c, f"{c.url}/{mor.id}", name="Mor ny", phone="12345678", version="1")
    moved = form(c, f"{c.url}/{mor.id}/move", direction="down", version="1")
    assert moved.status_code == 409 and "Siden er ikke opdateret" in moved.text
    assert form(c, f"{c.url}/{mor.id}/delete", version="1").status_code == 409
    assert [x.name for x in contacts(c)] == ["Mor ny", "Far"]


def test_editing_a_deleted_contact_says_so_and_keeps_what_was_typed(victim_client):
    c = victim_client
    mor = add(c, "Mor")
    form(c, f"{c.url}/{mor.id}/delete", version="1")
    r = form(
        c, f"{c.url}/{mor.id}", name="Mor", phone="12345678", knows="Min rettelse", version="1"
    )
    assert r.status_code == 409 and "Kontakten er blevet slettet." in r.text
    assert "Min rettelse" in r.text
    assert contacts(c) == []


def test_undo_only_for_a_while_then_gone_for_good(victim_client):
    c = victim_client
    mor = add(c, "Mor")
    form(c, f"{c.url}/{mor.id}/delete", version="1")
    with db.write_session(engine_of(c)) as session:
        row = session.get(Contact, mor.id)
        row.deleted_at = now() - timedelta(minutes=31)
        session.add(row)
    assert "blev slettet" not in c.get(f"{c.url}?deleted={mor.id}").text
    late = form(c, f"{c.url}/{mor.id}/restore", version="2")
    assert late.status_code == 409 and "for sent at fortryde" in late.text
    assert contacts(c) == []
    add(c, "Far", "87654321")  # the next write purges it
    assert [x.name for x in contacts(c, deleted=True)] == ["Far"]


def test_database_file_holds_no_contact_text_in_clear(victim_client, settings):
    c = victim_client
    add(
        c,
        "Søsteren Trine Kjærgaard",
        "+45 61 72 83 94",
        relation="Søster i Ribe",
        knows="Ved alt om Strandvejen 7",
        code_word="Gule tulipaner",
        alarm="1",
    )
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    blob = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert any(p.name.endswith("-wal") for p in path.parent.glob(path.name + "*"))
    for text in (
        "Trine Kjærgaard",
        "Søster i Ribe",
        "Strandvejen 7",
        "Gule tulipaner",
        "61728394",
        "61 72 83 94",
    ):
        assert text.encode() not in blob, text
        assert text.encode("utf-16-le") not in blob, text
    assert "Gule tulipaner" in c.get(c.url).text


def test_alarm_link_goes_to_the_alarm_contacts_with_the_code_words(victim_client):
    c = victim_client
    page = c.get(c.url).text
    assert alarm_href(page) is None
    assert "Ingen får alarmen endnu" in page  # and how to change that
    add(c, "Mor", "12 34 56 78", code_word="blå cykel", alarm="1")
    add(c, "Naboen", "20 30 40 50")  # not an alarm contact
    add(c, "Far", "+46 70 123 45 67", code_word="R&D #1", alarm="1")
    add(c, "Bror", "87654321", alarm="1")  # no code word of his own
    page = c.get(c.url).text
    body = "Jeg har brug for hjælp. Kodeord: blå cykel, R&D #1"
    assert alarm_href(page) == (
        "sms:+4512345678,+46701234567,+4587654321?&body=" + quote(body, safe="")
    )
    assert alarm_href(page) == (
        "sms:+4512345678,+46701234567,+4587654321?&body="
        "Jeg%20har%20brug%20for%20hj%C3%A6lp.%20Kodeord%3A%20bl%C3%A5%20cykel%2C%20R%26D%20%231"
    )
    assert "Mor, Far, Bror" in page  # who gets it
    # Nothing to send from the server: the page only holds a link.
    assert 'action="/alarm' not in page and "sendSMS" not in page
    # In English for an English user.
    c.cookies.set("tryg_lang", "en")
    english = alarm_href(c.get(c.url).text)
    assert english.endswith("body=" + quote("I need help. Code words: blå cykel, R&D #1", safe=""))


def test_alarm_with_one_code_word_and_duplicate_numbers(victim_client):
    c = victim_client
    add(c, "Mor", "12345678", code_word="æble", alarm="1")
    add(c, "Mor (arbejde)", "+45 12 34 56 78", code_word="æble", alarm="1")
    assert alarm_href(c.get(c.url).text) == "sms:+4512345678?&body=" + quote(
        "Jeg har brug for hjælp. Kodeord: æble", safe=""
    )


def test_hotlines_of_granted_organisations_are_shown_not_of_revoked_ones(client, make_client):
    police = make_org(client, "Esbjerg Lokalpoliti")
    center = make_org(client, "Dansk Stalking Center")
    other = make_org(client, "Kommunen")
    anna = make_user(client, Role.caseworker, "Anna", org=police)
    lars = make_user(client, Role.caseworker, "Lars", org=center)
    make_user(client, Role.caseworker, "Kim", org=other)
    victim = make_victim(client, "Maja", anna)
    plan = plan_of(client, victim)
    with db.write_session(engine_of(client)) as session:
        session.add(Grant(plan_id=plan.id, caseworker_id=lars.id, revoked_at=now()))
        session.add_all(
            [
                Hotline(organisation_id=police.id, name="Vagtcentralen", phone="+4570101010"),
                Hotline(organisation_id=center.id, name="Rådgivningen", phone="+4570202020"),
                Hotline(organisation_id=other.id, name="Borgerservice", phone="+4570303030"),
            ]
        )
    signed_in(client, victim)
    page = client.get(f"/plans/{plan.id}/contacts").text
    assert "Vagtcentralen" in page and 'href="tel:+4570101010"' in page
    assert 'Esbjerg Lokalpoliti · <span class="phone">+45 70 10 10 10</span>' in page
    assert "Rådgivningen" not in page  # the grant was revoked
    assert "Borgerservice" not in page  # never granted
    # Hotlines are not editable from the contacts page.
    hotlines = page[page.index('id="hotlines-heading"') : page.index('id="people-heading"')]
    assert "<form" not in hotlines


def test_caseworker_reads_and_writes_are_audited_with_ids_only(client, make_client):
    org = make_org(client, "Esbjerg Lokalpoliti")
    anna = make_user(client, Role.caseworker, "Anna", org=org)
    victim = make_victim(client, "Maja", anna)
    plan = plan_of(client, victim)
    signed_in(client, anna)
    url = f"/plans/{plan.id}/contacts"
    page = client.get(url)
    assert page.status_code == 200 and "Kontakter for Maja" in page.text
    assert "Send alarm-sms" not in page.text  # the alarm button is the victim's
    assert form(client, url, name="Mor Hemmelig", phone="12345678", alarm="1").status_code == 303
    with db.read_session(engine_of(client)) as session:
        contact = session.exec(select(Contact).where(Contact.plan_id == plan.id)).one()
        events = session.exec(
            select(AuditEvent).where(AuditEvent.plan_id == plan.id).order_by(AuditEvent.id)
        ).all()
    assert [(e.action, e.actor_id, e.subject_id, e.detail) for e in events] == [
        ("plan_read", anna.id, victim.id, "contacts"),
        ("plan_changed", anna.id, victim.id, f"contact={contact.id} add"),
    ]
    assert "Hemmelig" not in " ".join(e.detail for e in events)
    # Only the victim decides who gets the alarm (docs/design.md §2 point 5).
    assert contact.alarm is False
    assert "åbnes en sms til: Mor Hemmelig" not in client.get(url).text

    # The victim sees who changed what; the victim's own reads are not audited.
    phone = make_client()
    signed_in(phone, victim)
    block = contact_block(phone.get(url).text, contact.id)
    assert "Ændret af Anna, Esbjerg Lokalpoliti" in block
    activity = phone.get("/plan/activity").text
    assert "Anna, Esbjerg Lokalpoliti læste" in activity and "ændrede planen" in activity
    with db.read_session(engine_of(client)) as session:
        reads = session.exec(select(AuditEvent).where(AuditEvent.action == "plan_read")).all()
    assert all(e.actor_id == anna.id for e in reads)


def test_a_contact_of_another_plan_is_not_found(victim_client, make_client):
    c = victim_client
    other = make_client()
    stranger = make_victim(other, "Ole")
    signed_in(other, stranger)
    other.plan_id = plan_of(other, stranger).id
    other.url = f"/plans/{other.plan_id}/contacts"
    theirs = add(other, "Oles mor")
    for method, path, data in [
        ("GET", f"{c.url}/{theirs.id}/delete", None),
        ("POST", f"{c.url}/{theirs.id}", {"name": "x", "phone": "12345678", "version": "1"}),
        ("POST", f"{c.url}/{theirs.id}/move", {"direction": "up", "version": "1"}),
        ("POST", f"{c.url}/{theirs.id}/delete", {"version": "1"}),
        ("POST", f"{c.url}/{theirs.id}/restore", {"version": "1"}),
    ]:
        r = c.get(path) if method == "GET" else form(c, path, **data)
        assert r.status_code == 404, path
    assert [x.name for x in contacts(other)] == ["Oles mor"]
    assert c.get(other.url).status_code == 404


# ---------------------------------------------------------------- hotlines (org admin)


def test_org_admin_manages_the_own_organisations_hotlines(client, make_client):
    org = make_org(client, "Dansk Stalking Center")
    rival = make_org(client, "Kommunen")
    admin = make_user(client, Role.org_admin, "Admin", org=org)
    with db.write_session(engine_of(client)) as session:
        theirs = Hotline(organisation_id=rival.id, name="Kommunens linje", phone="+4570303030")
        session.add(theirs)
    signed_in(client, admin)
    assert 'href="/admin/hotlines"' in client.get("/admin").text
    page = client.get("/admin/hotlines").text
    assert "Telefonlinjer" in page and "Kommunens linje" not in page

    bad = form(client, "/admin/hotlines", name="", phone="12")
    assert bad.status_code == 422
    assert "Skriv et navn." in bad.text and "Det er ikke et telefonnummer" in bad.text
    long = form(client, "/admin/hotlines", name="L" * 101, phone="70 20 20 05")
    assert long.status_code == 422 and "Navnet må højst være 100 tegn." in long.text
    assert "70 20 20 05" in long.text  # the draft is kept

    ok = form(client, "/admin/hotlines", name="Rådgivning <b>", phone="70 20 20 05")
    assert ok.status_code == 303 and ok.headers["location"] == "/admin/hotlines"
    with db.read_session(engine_of(client)) as session:
        mine = session.exec(select(Hotline).where(Hotline.organisation_id == org.id)).one()
    assert (mine.name, mine.phone) == ("Rådgivning <b>", "+4570202005")
    page = client.get("/admin/hotlines").text
    assert "Rådgivning &lt;b&gt;" in page and "+45 70 20 20 05" in page

    assert form(client, f"/admin/hotlines/{theirs.id}/delete").status_code == 404
    assert form(client, f"/admin/hotlines/{mine.id}/delete").status_code == 303
    with db.read_session(engine_of(client)) as session:
        left = session.exec(select(Hotline)).all()
        events = session.exec(
            select(AuditEvent).where(AuditEvent.action.in_(["hotline_added", "hotline_deleted"]))
        ).all()
    assert [h.name for h in left] == ["Kommunens linje"]
    assert [(e.action, e.detail) for e in events] == [
        ("hotline_added", f"hotline={mine.id}"),
        ("hotline_deleted", f"hotline={mine.id}"),
    ]


def test_a_caseworker_cannot_redirect_the_alarm(client, make_client):
    """Someone phoning the caseworker as the victim must not get the alarm sent to them."""
    org = make_org(client)
    anna = make_user(client, Role.caseworker, "Anna", org=org)
    victim = make_victim(client, "Maja", anna)
    plan = plan_of(client, victim)
    url = f"/plans/{plan.id}/contacts"
    phone = make_client()
    signed_in(phone, victim)
    phone.url, phone.plan_id = url, plan.id
    sister = add(phone, name="Søster", phone="22 33 44 55", alarm="1")
    signed_in(client, anna)
    page = client.get(url).text
    assert "Kun borgeren selv kan ændre telefonnummeret" in page
    r = form(
        client,
        f"{url}/{sister.id}",
        version=str(sister.version),
        name="Søster",
        phone="+45 99 88 77 66",
        relation="søster",
        knows="",
        code_word="",
        alarm="",
    )
    assert r.status_code == 303
    [after] = contacts(client, plan.id)
    assert after.phone == sister.phone and after.alarm is True  # unchanged
    assert after.relation == "søster"  # other fields may change (audited)


# ---------------------------------------------------------------- visible "required" marks

REQUIRED = '<span class="required">{}</span>'


def label_of(page: str, field_id: str) -> str:
    match = re.search(rf'<label for="{field_id}">(.*?)</label>', page, re.S)
    assert match, f"no label for {field_id}"
    return match.group(1)


def test_the_contact_form_marks_its_required_fields_in_the_label(victim_client):
    page = victim_client.get(victim_client.url).text
    mark = REQUIRED.format("(skal udfyldes)")
    assert mark in label_of(page, "new-name") and mark in label_of(page, "new-phone")
    assert mark not in label_of(page, "new-relation") and mark not in label_of(page, "new-knows")

    victim_client.post(
        "/language", data={"lang": "en", "next": "/", "csrftoken": csrf_token(victim_client)}
    )
    page = victim_client.get(victim_client.url).text
    assert REQUIRED.format("(required)") in label_of(page, "new-name")


def test_the_hotline_form_marks_its_required_fields_in_the_label(client):
    org = make_org(client, "Dansk Stalking Center")
    signed_in(client, make_user(client, Role.org_admin, "Admin", org=org))
    page = client.get("/admin/hotlines").text
    mark = REQUIRED.format("(skal udfyldes)")
    assert mark in label_of(page, "hotline-name") and mark in label_of(page, "hotline-phone")
