"""What any visitor (or attacker) sees in the headers and the CSRF protection."""

import re

import pytest

from app.security import token_matches
from tests.conftest import csrf_token

PAGES = ["/", "/quick-exit", "/no-such-page", "/healthz"]


@pytest.mark.parametrize("path", PAGES)
def test_security_headers_on_every_response(client, path):
    r = client.get(path)
    csp = r.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["style-src"] == "'self'"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "camera=()" in r.headers["permissions-policy"]
    assert r.headers["cross-origin-opener-policy"] == "same-origin"
    assert r.headers["cache-control"] == "no-store"
    assert re.fullmatch(r"[0-9a-f]{16}", r.headers["x-request-id"])
    assert "strict-transport-security" not in r.headers  # plain http in development


def test_static_assets_may_be_cached(client):
    r = client.get("/static/css/tryg.css")
    assert r.status_code == 200
    assert r.headers.get("cache-control") != "no-store"
    assert "content-security-policy" in r.headers


def test_hsts_and_host_cookie_on_https(make_client):
    c = make_client(origin="https://tryg.example")
    r = c.get("/")
    assert r.headers["strict-transport-security"].startswith("max-age=63072000")
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("__Host-tryg_csrf=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_csp_allows_only_the_configured_htmx_origin(make_client):
    c = make_client(htmx_url="https://cdn.example.org/npm/htmx.org@4.0.1/dist/htmx.min.js")
    csp = c.get("/").headers["content-security-policy"]
    assert "script-src 'self' https://cdn.example.org;" in csp


def test_htmx_is_pinned_with_sri(client, settings):
    html = client.get("/").text
    tag = re.search(r"<script src=\"([^\"]+htmx[^\"]+)\"([^>]*)>", html)
    assert tag, "htmx script tag missing"
    assert tag.group(1) == settings.htmx_url
    assert "@4.0.1/" in tag.group(1)
    assert f'integrity="{settings.htmx_sri}"' in tag.group(2)
    assert 'crossorigin="anonymous"' in tag.group(2)
    assert '"includeIndicatorCSS": false' in html  # htmx's own inline styles off (CSP)
    assert "<script>" not in html and " style=" not in html  # nothing inline


def test_vendored_htmx_matches_pinned_hash(settings):
    import base64
    import hashlib
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "static/vendor/htmx.min.js"
    digest = base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()
    assert settings.htmx_sri == f"sha384-{digest}"


def test_post_without_csrf_token_is_refused_in_danish(client):
    client.get("/")
    r = client.post("/language", data={"lang": "en", "next": "/"})
    assert r.status_code == 403
    assert "Formularen er udløbet" in r.text
    assert "tryg_lang" not in r.headers.get("set-cookie", "")


def test_post_without_any_cookie_is_refused(client):
    r = client.post("/language", data={"lang": "en", "csrftoken": "forged"})
    assert r.status_code == 403


def test_csrf_token_from_form_field(client):
    token = csrf_token(client)
    r = client.post(
        "/language", data={"lang": "en", "next": "/", "csrftoken": token}, follow_redirects=False
    )
    assert r.status_code == 303


def test_csrf_token_from_htmx_header(client):
    token = csrf_token(client)
    r = client.post(
        "/language",
        data={"lang": "en", "next": "/"},
        headers={"X-CSRFToken": token},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_csrf_token_in_multipart_form(client):
    token = csrf_token(client)
    r = client.post(
        "/language",
        files={"x": ("a.txt", b"abc")},
        data={"lang": "en", "next": "/", "csrftoken": token},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_csrf_token_of_another_visitor_is_refused(make_client):
    attacker, victim = make_client(), make_client()
    stolen = csrf_token(attacker)
    csrf_token(victim)
    r = victim.post("/language", data={"lang": "en", "csrftoken": stolen})
    assert r.status_code == 403


def test_tampered_csrf_cookie_is_refused(client):
    token = csrf_token(client)
    client.cookies.set("tryg_csrf", token[:-2] + "xx")
    r = client.post("/language", data={"lang": "en", "csrftoken": token[:-2] + "xx"})
    assert r.status_code == 403


def test_page_embeds_the_token_masked_never_the_cookie(client):
    html = client.get("/").text
    cookie = csrf_token(client)
    assert cookie not in html
    fields = set(re.findall(r'name="csrftoken" value="([^"]+)"', html))
    headers = set(re.findall(r'"X-CSRFToken": "([^"]+)"', html))
    assert len(fields) == 1 and fields == headers  # one masked value per response
    assert token_matches(cookie, fields.pop())


def test_refusals_before_the_session_is_read_speak_the_page_language(client, make_client):
    """The 403 and 413 pages are answered by middleware before the session lookup: the heading
    follows the language chosen, not the last request served by this worker (issue 15)."""
    token = csrf_token(client)
    client.post("/language", data={"lang": "en", "next": "/", "csrftoken": token})
    danish = make_client()
    danish.get("/")
    assert "Formularen er udløbet" in danish.post("/language", data={"lang": "en"}).text
    r = client.post("/language", data={"lang": "da", "next": "/"})  # no token
    assert r.status_code == 403 and ">The form has expired</h1>" in r.text
    assert 'lang="en"' in r.text
    big = client.post("/language", data={"lang": "da", "csrftoken": token, "x": "x" * 70_000})
    assert big.status_code == 413 and "Too much text" in big.text
    assert "For meget tekst" not in big.text
