"""Pages, errors and bad input as a visitor sees them."""

import logging
import re

import pytest
from starlette.routing import Route

from tests.conftest import csrf_token


def test_home_is_danish_by_default_with_a_neutral_title(client):
    r = client.get("/")
    assert r.status_code == 200
    assert '<html lang="da"' in r.text
    assert "<title>Noter</title>" in r.text
    assert "Din sikkerhedsplan" in r.text
    assert 'href="tel:112"' in r.text


def test_home_in_english_from_accept_language(client):
    r = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en"' in r.text and "Your safety plan" in r.text
    assert "<title>Notes</title>" in r.text


def test_language_switch_sets_cookie_and_returns(client):
    token = csrf_token(client)
    r = client.post(
        "/language",
        data={"lang": "en", "next": "/quick-exit", "csrftoken": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/quick-exit"
    page = client.get("/quick-exit", headers={"Accept-Language": "da"})
    assert '<html lang="en"' in page.text


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil", ""])
def test_language_switch_is_no_open_redirect(client, target):
    token = csrf_token(client)
    r = client.post(
        "/language", data={"lang": "da", "next": target, "csrftoken": token}, follow_redirects=False
    )
    assert r.headers["location"] == "/"


def test_exit_button_on_every_page(client, settings):
    for path in ["/", "/quick-exit", "/nowhere"]:
        html = client.get(path).text
        assert f'class="exit-button" href="{settings.exit_url}" rel="noreferrer"' in html
        assert "Nødudgang:" in html and "Forlad siden" in html


def test_404_is_danish_and_has_the_exit_button(client):
    r = client.get("/this/does/not/exist")
    assert r.status_code == 404
    assert "Siden findes ikke" in r.text and "exit-button" in r.text


def test_405_is_a_page_not_a_stack_trace(client):
    r = client.get("/language")
    assert r.status_code == 405
    assert "Det kan ikke lade sig gøre her" in r.text


def test_htmx_request_gets_only_the_fragment(client):
    r = client.get("/quick-exit", headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "<html" not in r.text and "data-exit-explanation" in r.text
    assert "HX-Request" in r.headers["vary"].split(", ")  # and Accept-Encoding (gzip)


def test_history_restore_gets_the_full_page(client):
    r = client.get(
        "/quick-exit", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in r.text and "data-exit-explanation" in r.text


def test_full_page_contains_the_same_fragment(client):
    fragment = client.get("/quick-exit", headers={"HX-Request": "true"}).text.strip()
    assert fragment in client.get("/quick-exit").text


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok"}


def test_readyz_reports_a_broken_database_healthz_stays_alive(client, app, tmp_path):
    from app.db import make_engine

    app.state.engine = make_engine(f"sqlite:///{tmp_path}/missing/dir/x.db")
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json() == {"status": "error", "problems": ["database"]}
    assert client.get("/healthz").status_code == 200


def test_readyz_reports_migrations_behind(client, app):
    from app import db

    db.downgrade(app.state.engine, "-1")
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json()["problems"] == ["migrations"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"lang=en", "multipart/form-data"),  # no boundary
        (
            b"--xx\r\nContent-Disposition: form-data\r\n\r\nen\r\n--xx--",
            "multipart/form-data; boundary=xx",
        ),
    ],
)
def test_malformed_multipart_is_a_danish_400(client, body, content_type):
    token = csrf_token(client)
    r = client.post(
        "/language", content=body, headers={"Content-Type": content_type, "X-CSRFToken": token}
    )
    assert r.status_code == 400
    assert "Formularen kunne ikke læses" in r.text


def test_oversized_body_is_refused_before_reading(client, settings):
    token = csrf_token(client)
    r = client.post(
        "/language",
        data={"lang": "en", "next": "x" * (settings.max_body_bytes + 1), "csrftoken": token},
    )
    assert r.status_code == 413
    assert "For meget tekst" in r.text


def test_oversized_streamed_body_is_refused(client, settings):
    token = csrf_token(client)

    def chunks():
        yield f"csrftoken={token}&lang=en&next=".encode()
        for _ in range(settings.max_body_bytes // 1000 + 2):
            yield b"y" * 1000

    r = client.post(
        "/language", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 413


def test_unexpected_error_is_neutral_and_logs_no_personal_data(client, app, caplog):
    def boom(request):
        raise ValueError("Hemmelig adresse: Strandvejen 1")

    app.router.routes.append(Route("/boom", boom, methods=["GET", "POST"]))
    token = csrf_token(client)
    with caplog.at_level(logging.INFO):
        r = client.post("/boom", data={"note": "Min stalker hedder Per", "csrftoken": token})
    assert r.status_code == 500
    assert "Noget gik galt" in r.text
    assert "Traceback" not in r.text and "Strandvejen" not in r.text
    request_id = r.headers["x-request-id"]
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert f"request_id={request_id}" in logged and "type=ValueError" in logged
    assert "Strandvejen" not in logged and "Per" not in logged
    assert token not in logged


def test_each_page_has_its_own_plain_title_and_never_a_name(client):
    """Issue 15 (WCAG 2.4.2): a screen reader tells pages apart by their title; the tab switcher
    a stalker may see shows one plain word after "Noter" — never a name or a plan's text."""
    from tests.factories import make_victim, signed_in

    victim = make_victim(client, "Maja Hemmelig")
    signed_in(client, victim)
    titles = {}
    for path in ("/", "/plan", "/contacts", "/account", "/plan/sharing", "/plan/activity"):
        titles[path] = re.search(r"<title>([^<]*)</title>", client.get(path).text).group(1)
    assert len(set(titles.values())) == len(titles), titles
    assert all(t == "Noter" or t.startswith("Noter – ") for t in titles.values()), titles
    assert not any("Maja" in t or "Hemmelig" in t for t in titles.values())
    assert titles["/contacts"] == "Noter – Kontakter"
