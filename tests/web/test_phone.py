"""The phone (docs/design.md §6) over HTTP: manifest, worker, offline page, disguise, offline
copy."""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlmodel import select

from app import db
from app.assets import static_url
from app.audit import AuditEvent
from app.auth.models import User
from app.contacts.models import Contact
from app.phone.worker import worker_script
from app.plans import queries as plan_queries
from tests.conftest import csrf_token
from tests.factories import engine_of, make_org, make_user, make_victim, signed_in


@pytest.fixture
def victim_client(client):
    victim = make_victim(client, "Maja")
    signed_in(client, victim)
    client.victim = victim
    return client


def test_manifest_is_installable_and_neutral_for_strangers(client):
    r = client.get("/manifest.webmanifest")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/manifest+json")
    m = r.json()
    assert m["display"] == "standalone"
    # The installed app starts at the plan, which sends a signed-out person on to sign in.
    assert m["start_url"] == "/plan" and m["scope"] == "/"
    assert m["name"] == "Tryg" and m["short_name"] == "Tryg"
    sizes = {(i["sizes"], i.get("purpose", "any")) for i in m["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in m["icons"]:
        png = client.get(icon["src"])
        assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_page_links_the_manifest_with_credentials(client):
    html = client.get("/").text
    link = '<link rel="manifest" href="/manifest.webmanifest" crossorigin="use-credentials">'
    assert link in html


@pytest.mark.parametrize(
    ("choice", "name"), [("notes", "Noter"), ("weather", "Vejret"), ("calculator", "Lommeregner")]
)
def test_disguise_changes_this_victims_manifest_only(make_client, choice, name):
    a = make_client()
    victim = make_victim(a, "Maja")
    signed_in(a, victim)
    r = a.post(
        "/phone/disguise",
        data={"disguise": choice, "csrftoken": csrf_token(a)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with db.read_session(engine_of(a)) as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "disguise_set")).one()
        assert event.subject_id == victim.id and event.detail == f"disguise={choice}"
    m = a.get("/manifest.webmanifest").json()
    assert m["name"] == name and m["short_name"] == name
    assert all(f"/{choice}-" in i["src"] for i in m["icons"])
    assert f'content="{name}"' in a.get("/plan", follow_redirects=True).text  # iOS title
    # Another browser (anonymous) and another victim still get the default.
    b = make_client()
    assert b.get("/manifest.webmanifest").json()["name"] == "Tryg"
    other = make_victim(b, "Bo")
    signed_in(b, other)
    assert b.get("/manifest.webmanifest").json()["name"] == "Tryg"


def test_unknown_disguise_is_refused(victim_client):
    c = victim_client
    r = c.post("/phone/disguise", data={"disguise": "<script>", "csrftoken": csrf_token(c)})
    assert r.status_code == 422
    with db.read_session(engine_of(c)) as s:
        assert s.get(User, c.victim.id).disguise is None


def test_worker_is_served_with_its_version_and_no_cache(client):
    r = client.get("/sw.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["cache-control"] == "no-cache"
    settings = client.app.state.settings
    script, version = worker_script(settings)
    assert r.text == script and r.headers["x-worker-version"] == version
    assert "__VERSION__" not in r.text and json.dumps(version) in r.text
    assert '"/offline"' in r.text and json.dumps(static_url("js/offline.js")) in r.text
    assert settings.htmx_url in r.text
    # The worker's own CSP lets it fetch htmx from the CDN, nothing else.
    csp = r.headers["content-security-policy"]
    assert f"connect-src 'self' {settings.htmx_origin}" in csp


def test_a_changed_deploy_changes_the_worker_bytes(client):
    settings = client.app.state.settings
    changed = dataclasses.replace(settings, worker_version_salt="next")
    assert worker_script(settings)[1] != worker_script(changed)[1]
    assert worker_script(settings)[0] != worker_script(changed)[0]


def test_offline_page_has_no_personal_data_and_works_without_htmx(victim_client):
    r = victim_client.get("/offline")
    assert r.status_code == 200
    html = r.text
    assert "Maja" not in html and "htmx" not in html
    assert 'href="tel:112"' in html and 'href="tel:114"' in html
    assert "data-exit" in html and "/static/js/exit.js" in html
    assert "Slet alt på denne telefon" in html


def test_offline_copy_is_the_victims_own_plan_and_contacts_never_stored(victim_client):
    c = victim_client
    with db.write_session(engine_of(c)) as s:
        plan = plan_queries.plan_of(s, c.victim.id)
        s.add(Contact(plan_id=plan.id, name="Søster Lis", phone="+4522334455", alarm=True))
    r = c.get("/phone/copy")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["sections"][0]["title"] == "Når jeg er i akut fare"
    assert body["contacts"] == [
        {
            "name": "Søster Lis",
            "relation": "",
            "phone": "+4522334455",
            "shown": "+45 22 33 44 55",  # formatted as online
            "alarm": True,
        }
    ]
    # The same sms: link as the online "Send alarm-sms".
    assert body["alarm"] == "sms:+4522334455?&body=Jeg%20har%20brug%20for%20hj%C3%A6lp."


def test_caseworker_gets_no_offline_copy(client):
    org = make_org(client)
    worker = make_user(client, "caseworker", "Anna", org)
    make_victim(client, "Maja", worker)
    signed_in(client, worker)
    assert client.get("/phone/copy").status_code == 404


def test_phone_page_offers_disguise_pin_and_wipe(victim_client):
    html = victim_client.get("/phone").text
    for text in ("Noter", "Vejret", "Lommeregner", "Tryg", "Slet alt på denne telefon"):
        assert text in html
    assert "data-offline-setup" in html
    assert "Slet alt på denne telefon" in victim_client.get("/account").text
