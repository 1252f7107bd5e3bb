"""The safety plan as the victim and a granted caseworker use it (no JavaScript needed)."""

import re
from pathlib import Path

import pytest
from sqlmodel import select

from app import db
from app.audit import AuditEvent
from app.auth.models import Role
from app.plans.models import Item, Plan, Section
from tests.conftest import csrf_token, same_csrf
from tests.factories import engine_of, make_org, make_user, make_victim, signed_in, unkeyed


def form(client, url, headers=None, **data):
    return client.post(
        url,
        data={"csrftoken": csrf_token(client), **data},
        headers=headers or {},
        follow_redirects=False,
    )


@pytest.fixture
def victim_client(client):
    victim = make_victim(client, "Maja")
    signed_in(client, victim)
    with db.read_session(engine_of(client)) as session:
        plan = session.exec(select(Plan).where(Plan.victim_id == victim.id)).one()
        section = session.exec(
            select(Section).where(Section.plan_id == plan.id).order_by(Section.position)
        ).first()
    client.plan_id, client.section_id, client.victim = plan.id, section.id, victim
    return client


def items(client):
    with db.read_session(engine_of(client)) as session:
        return session.exec(
            select(Item)
            .where(Item.plan_id == client.plan_id)
            .order_by(Item.section_id, Item.position)
        ).all()


def first_item(client):
    return next(i for i in items(client) if i.section_id == client.section_id)


def test_plan_opens_in_crisis_order_with_112_and_114(victim_client):
    r = victim_client.get("/plan")
    assert r.status_code == 200 and str(r.url).endswith(f"/plans/{victim_client.plan_id}")
    html = r.text
    assert html.index('href="tel:112"') < html.index("Når jeg er i akut fare")
    assert 'href="tel:114"' in html
    headings = re.findall(r'<h2 id="section-\d+-title">([^<]+)</h2>', html)
    assert headings[0] == "Når jeg er i akut fare"
    assert "<title>Noter – Plan</title>" in html  # no plan text in the title


def test_add_item_with_a_plain_form(victim_client):
    c = victim_client
    r = form(c, f"/plans/{c.plan_id}/sections/{c.section_id}/items", text="Jeg løber til Brugsen")
    assert r.status_code == 303 and r.headers["location"].endswith(f"#section-{c.section_id}")
    assert "Jeg løber til Brugsen" in c.get(f"/plans/{c.plan_id}").text


def test_add_item_with_htmx_returns_the_same_section_partial(victim_client):
    c = victim_client
    r = form(
        c,
        f"/plans/{c.plan_id}/sections/{c.section_id}/items",
        headers={"HX-Request": "true"},
        text="Naboen Jens har nøgle",
    )
    assert r.status_code == 200 and "<html" not in r.text
    assert r.text.strip().startswith(
        f'<section class="plan-section card" id="section-{c.section_id}"'
    )
    page = unkeyed(same_csrf(c.get(f"/plans/{c.plan_id}/edit").text))
    assert unkeyed(same_csrf(r.text).strip()) in page  # the edit page includes exactly this partial


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   ", "Skriv noget først"),
        ("x" * 501, "højst være 500 tegn"),
    ],
)
def test_bad_text_is_explained_and_nothing_is_lost(victim_client, text, message):
    c = victim_client
    before = len(items(c))
    r = form(c, f"/plans/{c.plan_id}/sections/{c.section_id}/items", text=text)
    assert r.status_code == 422 and message in r.text
    if text.strip():
        assert text in r.text  # the draft comes back for shortening
    assert len(items(c)) == before


def test_html_and_script_are_inert(victim_client):
    c = victim_client
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)> hx-post="/x"'
    form(c, f"/plans/{c.plan_id}/sections/{c.section_id}/items", text=evil)
    html = c.get(f"/plans/{c.plan_id}").text
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_edit_tick_move_delete_and_undo(victim_client):
    c = victim_client
    item = first_item(c)
    assert (
        form(
            c, f"/plans/{c.plan_id}/items/{item.id}", text="Ny tekst", version=str(item.version)
        ).status_code
        == 303
    )
    item = first_item(c)
    assert item.text == "Ny tekst" and item.version == 2
    assert (
        form(c, f"/plans/{c.plan_id}/items/{item.id}/done", done="1", version="2").status_code
        == 303
    )
    assert first_item(c).done
    order = [i.id for i in items(c) if i.section_id == c.section_id]
    form(c, f"/plans/{c.plan_id}/items/{order[0]}/move", direction="down", version="3")
    moved = [i.id for i in items(c) if i.section_id == c.section_id]
    assert moved[:2] == [order[1], order[0]]
    confirm = c.get(f"/plans/{c.plan_id}/items/{order[0]}/delete")
    assert confirm.status_code == 200 and "Slet dette punkt?" in confirm.text
    gone = form(c, f"/plans/{c.plan_id}/items/{order[0]}/delete", version="4")
    assert gone.status_code == 200 and "Punktet blev slettet" in gone.text
    assert order[0] not in [i.id for i in items(c) if i.deleted_at is None]
    assert form(c, f"/plans/{c.plan_id}/items/{order[0]}/restore", version="5").status_code == 303
    assert order[0] in [i.id for i in items(c) if i.deleted_at is None]


def test_stale_write_is_refused_and_both_texts_are_shown(victim_client):
    c = victim_client
    item = first_item(c)
    form(c, f"/plans/{c.plan_id}/items/{item.id}", text="Skrevet af rådgiveren", version="1")
    r = form(c, f"/plans/{c.plan_id}/items/{item.id}", text="Skrevet af mig", version="1")
    assert r.status_code == 409
    assert "Skrevet af rådgiveren" in r.text and "Skrevet af mig" in r.text
    assert first_item(c).text == "Skrevet af rådgiveren"  # nothing overwritten
    keep_mine = form(c, f"/plans/{c.plan_id}/items/{item.id}", text="Skrevet af mig", version="2")
    assert keep_mine.status_code == 303 and first_item(c).text == "Skrevet af mig"


def test_stale_tick_and_delete_are_refused(victim_client):
    c = victim_client
    item = first_item(c)
    form(c, f"/plans/{c.plan_id}/items/{item.id}", text="Ændret", version="1")
    assert (
        form(c, f"/plans/{c.plan_id}/items/{item.id}/done", done="1", version="1").status_code
        == 409
    )
    assert form(c, f"/plans/{c.plan_id}/items/{item.id}/delete", version="1").status_code == 409
    assert not first_item(c).done and first_item(c).deleted_at is None


def test_editing_a_deleted_item_says_so(victim_client):
    c = victim_client
    item = first_item(c)
    form(c, f"/plans/{c.plan_id}/items/{item.id}/delete", version="1")
    r = form(c, f"/plans/{c.plan_id}/items/{item.id}", text="Min rettelse", version="1")
    assert r.status_code == 409 and "slettet" in r.text and "Min rettelse" in r.text


def test_custom_section_and_review_date(victim_client):
    c = victim_client
    assert form(c, f"/plans/{c.plan_id}/sections", title="Min hund").status_code == 303
    assert "Min hund" in c.get(f"/plans/{c.plan_id}").text
    bad = form(
        c,
        f"/plans/{c.plan_id}/sections/{c.section_id}",
        title="Akut",
        review_by="næste uge",
        version="1",
    )
    assert bad.status_code == 422 and "dag-måned-år" in bad.text
    ok = form(
        c,
        f"/plans/{c.plan_id}/sections/{c.section_id}",
        title="Akut",
        review_by="31-12-2026",
        version="1",
    )
    assert ok.status_code == 303
    assert "Gennemgås senest 31-12-2026" in c.get(f"/plans/{c.plan_id}").text


def test_database_file_holds_no_plan_text_in_clear(victim_client, settings):
    c = victim_client
    secret = "Hemmelig adresse Strandvejen 7"
    form(c, f"/plans/{c.plan_id}/sections/{c.section_id}/items", text=secret)
    form(c, f"/plans/{c.plan_id}/sections", title="Skjult afsnit Æblehaven")
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    blob = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    for text in (secret, "Skjult afsnit", "Når jeg er i akut fare"):
        assert text.encode() not in blob
        assert text.encode("utf-16-le") not in blob
    assert secret in c.get(f"/plans/{c.plan_id}").text


def test_print_and_download(victim_client):
    c = victim_client
    printed = c.get(f"/plans/{c.plan_id}/print")
    assert printed.status_code == 200 and "Når jeg er i akut fare" in printed.text
    assert "<textarea" not in printed.text
    data = c.get(f"/plans/{c.plan_id}/download")
    assert data.headers["content-disposition"] == 'attachment; filename="noter.json"'
    assert data.json()["sections"][0]["title"] == "Når jeg er i akut fare"


def test_caseworker_reads_and_changes_are_audited_and_shown(client, make_client):
    org = make_org(client, "Esbjerg Lokalpoliti")
    anna = make_user(client, Role.caseworker, "Anna", org=org)
    victim = make_victim(client, "Maja", anna)
    signed_in(client, anna)
    with db.read_session(engine_of(client)) as session:
        plan = session.exec(select(Plan).where(Plan.victim_id == victim.id)).one()
        section = session.exec(select(Section).where(Section.plan_id == plan.id)).first()
    assert client.get(f"/plans/{plan.id}").status_code == 200
    form(client, f"/plans/{plan.id}/sections/{section.id}/items", text="Skolen er orienteret")
    phone = make_client()
    signed_in(phone, victim)
    page = phone.get(f"/plans/{plan.id}").text
    assert "Ændret af Anna, Esbjerg Lokalpoliti" in page
    activity = phone.get("/plan/activity").text
    assert "Anna, Esbjerg Lokalpoliti" in activity
    assert "læste planen" in activity and "ændrede planen" in activity
    with db.read_session(engine_of(client)) as session:
        reads = session.exec(select(AuditEvent).where(AuditEvent.action == "plan_read")).all()
    assert [(e.actor_id, e.subject_id) for e in reads] == [(anna.id, victim.id)]


def test_revoking_takes_effect_on_the_next_request(client, make_client):
    org = make_org(client)
    anna = make_user(client, Role.caseworker, "Anna", org=org)
    victim = make_victim(client, "Maja", anna)
    signed_in(client, anna)
    with db.read_session(engine_of(client)) as session:
        plan = session.exec(select(Plan).where(Plan.victim_id == victim.id)).one()
    assert client.get(f"/plans/{plan.id}").status_code == 200
    phone = make_client()
    signed_in(phone, victim)
    grant_id = re.search(r"/plan/sharing/(\d+)/revoke", phone.get("/plan/sharing").text).group(1)
    assert form(phone, f"/plan/sharing/{grant_id}/revoke").status_code == 303
    assert client.get(f"/plans/{plan.id}").status_code == 404
    assert "Maja" not in client.get("/people").text
    # Her activity says what she did, in plain words (not that Anna "lost" access).
    activity = phone.get("/plan/activity").text
    assert "Du tog adgangen til din plan tilbage fra Anna" in activity
    assert "grant_revoked" not in activity and "mistede" not in activity


def test_victim_grants_a_caseworker_with_the_code_shown_in_the_meeting(client, make_client):
    org = make_org(client, "Dansk Stalking Center")
    lars = make_user(client, Role.caseworker, "Lars", org=org)
    signed_in(client, lars)
    code = re.search(
        r"<strong>([A-Z0-9]{5}-[A-Z0-9]{5})</strong>", form(client, "/sharing/code").text
    ).group(1)
    phone = make_client()
    victim = make_victim(phone, "Maja")
    signed_in(phone, victim)
    assert form(phone, "/plan/sharing", code=code).status_code == 303
    assert "Lars" in phone.get("/plan/sharing").text
    assert "Maja" in client.get("/people").text
    again = form(phone, "/plan/sharing", code=code)
    assert again.status_code == 422 and "forkert eller udløbet" in again.text


def test_org_admin_never_sees_plans(client):
    org = make_org(client)
    admin = make_user(client, Role.org_admin, org=org)
    anna = make_user(client, Role.caseworker, "Anna", org=org)
    victim = make_victim(client, "Maja", anna)
    signed_in(client, admin)
    with db.read_session(engine_of(client)) as session:
        plan = session.exec(select(Plan).where(Plan.victim_id == victim.id)).one()
    assert client.get(f"/plans/{plan.id}").status_code == 404
    assert "Maja" not in client.get("/admin").text


def test_htmx_conflict_replaces_the_main_content_not_the_section(victim_client):
    c = victim_client
    item = first_item(c)
    form(c, f"/plans/{c.plan_id}/items/{item.id}", text="Først", version="1")
    r = form(
        c,
        f"/plans/{c.plan_id}/items/{item.id}",
        headers={"HX-Request": "true"},
        text="Bagefter",
        version="1",
    )
    assert r.status_code == 409 and "<html" not in r.text
    assert r.headers["hx-retarget"] == "#main" and r.headers["hx-reswap"] == "innerHTML"
    assert "Først" in r.text and "Bagefter" in r.text


def test_the_editor_is_loaded_only_for_the_item_being_edited(victim_client):
    c = victim_client
    item = first_item(c)
    page = c.get(f"/plans/{c.plan_id}/edit").text
    assert f'id="text-{item.id}"' not in page  # no hidden editor per item
    assert f'href="/plans/{c.plan_id}/items/{item.id}/edit#item-{item.id}"' in page
    full = c.get(f"/plans/{c.plan_id}/items/{item.id}/edit")
    assert full.status_code == 200 and f'id="text-{item.id}"' in full.text and "<html" in full.text
    fragment = c.get(f"/plans/{c.plan_id}/items/{item.id}/edit", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and f'id="text-{item.id}"' in fragment.text
    assert fragment.text.count("<textarea") == 2  # this item's editor and "new item"


def test_after_a_revoke_the_page_says_so_and_starts_there(client, make_client):
    """Issue 14 point 5: the sharing page after a grant or a revoke says what happened, and the
    focus starts on that sentence (no name in the address)."""
    anna = make_user(client, Role.caseworker, "Anna", org=make_org(client))
    victim = make_victim(client, "Maja", anna)
    phone = make_client()
    signed_in(phone, victim)
    grant_id = re.search(r"/plan/sharing/(\d+)/revoke", phone.get("/plan/sharing").text).group(1)
    r = form(phone, f"/plan/sharing/{grant_id}/revoke")
    assert r.status_code == 303 and r.headers["location"] == "/plan/sharing?done=revoked"
    page = phone.get(r.headers["location"]).text
    assert '<p class="notice" tabindex="-1" autofocus>Adgangen er taget tilbage.</p>' in page
