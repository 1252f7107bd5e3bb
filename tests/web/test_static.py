"""Static files: content-hashed URLs cached for a year; anything else revalidated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import assets
from app.phone.worker import precache_urls
from tests.web.test_compression import victims_plan

STATIC_URL = re.compile(r'(?:src|href)="(/static/[^"]+)"')


def test_every_static_url_of_the_plan_page_is_hashed_and_immutable(client):
    plan_id = victims_plan(client)
    html = client.get(f"/plans/{plan_id}").text
    urls = set(STATIC_URL.findall(html))
    assert {u.split("?")[0] for u in urls} >= {"/static/css/tryg.css", "/static/js/exit.js"}
    for url in urls:
        assert re.fullmatch(r"/static/[\w./-]+\?v=[0-9a-f]{12}", url), url
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable", url


@pytest.mark.parametrize("query", ["", "?v=000000000000"])
def test_unhashed_or_outdated_urls_are_revalidated(client, query):
    r = client.get("/static/css/tryg.css" + query)
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-cache"


def test_changing_a_file_changes_its_url(tmp_path: Path):
    (tmp_path / "css").mkdir()
    sheet = tmp_path / "css" / "x.css"
    sheet.write_text("a{}")
    before = assets.digest("css/x.css", tmp_path)
    sheet.write_text("b{color:red}")
    after = assets.digest("css/x.css", tmp_path)
    assert before and after and before != after


def test_static_url_leaves_other_urls_alone():
    assert assets.static_url("https://cdn.example/htmx.min.js") == "https://cdn.example/htmx.min.js"
    assert assets.static_url("css/no-such.css") == "/static/css/no-such.css"
    assert assets.digest("../app/main.py") is None  # nothing outside static/ is hashed
    assert assets.digest("css") is None  # nor a folder
    hashed = assets.static_url("css/tryg.css")
    assert assets.static_url("/static/css/tryg.css") == hashed


def test_the_service_worker_precaches_the_urls_the_pages_ask_for(client):
    urls = precache_urls(client.app.state.settings)
    assert assets.static_url("css/tryg.css") in urls
    assert all("?v=" in url for url in urls if url.startswith("/static/"))
    script = client.get("/sw.js").text
    assert assets.static_url("js/exit.js") in script
    offline = client.get("/offline").text
    for url in STATIC_URL.findall(offline):
        assert url in urls, url
