"""Forms that never lose or double anything (issue 14 point 3): a key per add form, every
refused field kept with its message, no silent cut, a 413 that htmx keeps out of the page."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from app import db
from app.clock import now
from app.contacts.models import Contact
from app.plans.models import Item, Plan, Section
from app.plans.once import FormKey
from tests.conftest import csrf_token
from tests.factories import engine_of, form, make_victim, signed_in
from tests.web import test_plans
from tests.web.test_restore import race

HTMX = {"HX-Request": "true"}
victim_client = test_plans.victim_client  # the signed-in victim with her plan (a fixture)


def items_url(client) -> str:
    return f"/plans/{client.plan_id}/sections/{client.section_id}/items"


def count(client, model, **where):
    with db.read_session(engine_of(client)) as session:
        rows = session.exec(select(model)).all()
    return sum(all(getattr(r, k) == v for k, v in where.items()) for r in rows)


def key_in(html: str, form_action: str) -> str:
    start = html.index(f'action="{form_action}"')
    return re.search(r'name="form_key" value="([^"]+)"', html[start:]).group(1)


# ---------------------------------------------------------------- a double tap adds once


def test_every_add_form_carries_a_fresh_key(victim_client):
    c = victim_client
    page = c.get(f"/plans/{c.plan_id}/edit").text
    first = key_in(page, items_url(c))
    assert first != key_in(c.get(f"/plans/{c.plan_id}/edit").text, items_url(c))
    assert key_in(page, f"/plans/{c.plan_id}/sections")
    assert key_in(c.get(f"/plans/{c.plan_id}/contacts").text, f"/plans/{c.plan_id}/contacts")


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_the_same_item_key_twice_adds_once_and_answers_twice(victim_client, headers):
    c = victim_client
    key = key_in(c.get(f"/plans/{c.plan_id}/edit").text, items_url(c))
    first = form(c, items_url(c), headers, text="Ring til Mor", form_key=key)
    again = form(c, items_url(c), headers, text="Ring til Mor", form_key=key)
    assert first.status_code == again.status_code == (200 if headers else 303)
    if headers:
        assert again.text.count(">Ring til Mor</p>") == 1
    else:
        assert again.headers["location"] == first.headers["location"]
    assert count(c, Item, text="Ring til Mor") == 1
    # A new key (the form as rendered after the add) adds again.
    form(c, items_url(c), headers, text="Ring til Mor", form_key="another-key-0123456789")
    assert count(c, Item, text="Ring til Mor") == 2


def test_a_refused_add_does_not_use_up_its_key(victim_client):
    c = victim_client
    key = "a-key-for-a-refused-add-123"
    assert form(c, items_url(c), text="", form_key=key).status_code == 422
    assert form(c, items_url(c), text="Nu med tekst", form_key=key).status_code == 303
    assert count(c, Item, text="Nu med tekst") == 1


def test_the_same_section_key_twice_adds_one_section(victim_client):
    c = victim_client
    url, key = f"/plans/{c.plan_id}/sections", "section-key-0123456789"
    first = form(c, url, title="Min hund", form_key=key)
    again = form(c, url, title="Min hund", form_key=key)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert re.search(r"#section-\d+$", again.headers["location"])
    assert count(c, Section, title="Min hund") == 1


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_the_same_contact_key_twice_adds_one_contact(victim_client, headers):
    c = victim_client
    url, key = f"/plans/{c.plan_id}/contacts", "contact-key-0123456789"
    first = form(c, url, headers, name="Mormor", phone="20304050", form_key=key)
    again = form(c, url, headers, name="Mormor", phone="20304050", form_key=key)
    assert first.status_code == again.status_code == (200 if headers else 303)
    if not headers:
        assert again.headers["location"] == first.headers["location"]
        assert again.headers["location"].endswith("#contact-" + str(first_contact_id(c)))
    else:
        assert again.text.count("Mormor</h3>") + again.text.count("Mormor <span") == 1
    assert count(c, Contact, name="Mormor") == 1


def first_contact_id(client):
    with db.read_session(engine_of(client)) as session:
        return session.exec(select(Contact.id)).first()


def test_a_key_holds_across_two_app_instances(victim_client, make_client):
    c = victim_client
    other = make_client()  # a second process on the same database
    other.cookies.update(c.cookies)
    key = "two-instances-key-0123456789"
    assert form(c, items_url(c), text="Én gang", form_key=key).status_code == 303
    assert form(other, items_url(c), text="Én gang", form_key=key).status_code == 303
    assert count(c, Item, text="Én gang") == 1


def test_keys_are_per_user_and_forgotten_after_a_day(victim_client):
    c = victim_client
    key = "old-key-0123456789abcdef"
    form(c, items_url(c), text="I går", form_key=key)
    with db.write_session(engine_of(c)) as session:
        session.execute(update(FormKey).values(used_at=now() - timedelta(days=1, minutes=1)))
    form(c, items_url(c), text="I dag", form_key="fresh-key-0123456789abc")  # sweeps old keys
    assert count(c, FormKey, key=key) == 0
    assert count(c, FormKey, key="fresh-key-0123456789abc") == 1


def test_a_junk_key_is_ignored_not_refused(victim_client):
    c = victim_client
    for _ in range(2):
        assert form(c, items_url(c), text="Uden nøgle", form_key="<x>").status_code == 303
    assert count(c, Item, text="Uden nøgle") == 2


# ---------------------------------------------------------------- nothing typed is lost


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_bad_review_date_keeps_the_form_open_with_what_was_typed(victim_client, headers):
    c = victim_client
    url = f"/plans/{c.plan_id}/sections/{c.section_id}"
    r = form(c, url, headers, title="Ny overskrift", review_by="næste uge", version="1")
    assert r.status_code == 422
    s = c.section_id
    editor = r.text[r.text.index(f'action="{url}"') - 400 :]
    assert '<details class="section-edit no-print" open>' in r.text
    assert 'value="Ny overskrift"' in editor and 'value="næste uge"' in editor
    field = re.search(rf'<input type="text" id="review-{s}"[^>]*>', r.text).group(0)
    assert 'aria-invalid="true"' in field
    assert f'aria-describedby="section-{s}-review_by-error"' in field
    assert f'id="section-{s}-review_by-error"' in r.text and "dag-måned-år" in r.text
    assert 'aria-invalid="true"' not in re.search(rf'id="title-{s}"[^>]*>', r.text).group(0)


def test_a_long_text_is_not_cut_the_server_explains(victim_client):
    c = victim_client
    page = c.get(f"/plans/{c.plan_id}/edit").text
    assert "maxlength" not in page
    assert f'id="new-{c.section_id}-count"' in page and "0 / 500 tegn" in page
    r = form(c, items_url(c), HTMX, text="x" * 10_000)
    assert r.status_code == 422 and "højst være 500 tegn" in r.text
    assert "x" * 10_000 in r.text and "10000 / 500 tegn" in r.text
    assert count(c, Item, text="x" * 10_000) == 0


def test_contact_fields_state_their_limits_and_cut_nothing(victim_client):
    c = victim_client
    page = c.get(f"/plans/{c.plan_id}/contacts").text
    assert "maxlength" not in page
    assert 'id="new-knows-count"' in page and "0 / 500 tegn" in page and "0 / 100 tegn" in page


def test_a_too_large_body_to_htmx_is_not_swapped_but_triggers_a_message(victim_client):
    c = victim_client
    r = form(c, items_url(c), HTMX, text="x" * 70_000)
    assert r.status_code == 413
    assert r.headers["hx-reswap"] == "none" and r.headers["hx-trigger"] == "too-large"
    plain = form(c, items_url(c), text="x" * 70_000)
    assert plain.status_code == 413 and "hx-reswap" not in plain.headers


def test_the_conflict_page_keep_choice_leaves_the_page(victim_client):
    c = victim_client
    with db.read_session(engine_of(c)) as session:
        item = session.exec(select(Item).where(Item.section_id == c.section_id)).first()
    url = f"/plans/{c.plan_id}/items/{item.id}"
    form(c, url, text="Først", version=str(item.version))
    r = form(c, url, HTMX, text="Bagefter", version=str(item.version))
    assert r.status_code == 409
    keep = re.search(r'<a class="button" href="([^"]+)">Behold punktet', r.text).group(1)
    # Not a bare #anchor on the plan's own address (the htmx conflict is shown there): a load.
    assert keep == f"/plans/{c.plan_id}?kept#item-{item.id}"
    assert c.get(keep.split("#")[0]).status_code == 200


@pytest.mark.postgres
def test_concurrent_repeats_on_two_instances_add_once_on_postgres(make_client, postgres_url):
    """The same key from two app processes at the same moment (PostgreSQL: the second insert
    waits for the first transaction, then meets the key): one item, two ordinary answers."""
    first = make_client(database_url=postgres_url)
    victim = make_victim(first, "Maja")
    signed_in(first, victim)
    second = make_client(database_url=postgres_url)
    second.cookies.update(first.cookies)
    with db.read_session(engine_of(first)) as session:
        plan = session.exec(select(Plan).where(Plan.victim_id == victim.id)).one()
        section_id = session.exec(select(Section.id).where(Section.plan_id == plan.id)).first()
    url = f"/plans/{plan.id}/sections/{section_id}/items"
    for who in (first, second):
        csrf_token(who)
    for attempt in range(10):
        key, text = f"race-key-{attempt:02d}-0123456789", f"Samtidig {attempt}"
        answers = race(
            {
                name: lambda who=who, text=text, key=key: form(who, url, text=text, form_key=key)
                for name, who in (("a", first), ("b", second))
            }
        )
        assert sorted(r.status_code for r in answers.values()) == [303, 303], attempt
        assert count(first, Item, text=text) == 1, attempt


def test_the_contact_conflict_keep_choice_leaves_the_page(victim_client):
    c = victim_client
    url = f"/plans/{c.plan_id}/contacts"
    form(c, url, name="Mor", phone="12345678")
    with db.read_session(engine_of(c)) as session:
        mor = session.exec(select(Contact)).one()
    form(c, f"{url}/{mor.id}", name="Mor", phone="12345678", knows="Først", version="1")
    r = form(c, f"{url}/{mor.id}", HTMX, name="Mor", phone="12345678", version="1")
    assert r.status_code == 409
    keep = re.search(r'<a class="button" href="([^"]+)">Behold kontakten', r.text).group(1)
    assert keep == f"{url}?kept#contact-{mor.id}"
