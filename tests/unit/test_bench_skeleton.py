"""The skeleton that `make bench` serves next to the plan page does what its row claims: it
reads the session row, masks a fresh token into the page every time, and compresses it."""

from __future__ import annotations

import re
import sqlite3

import pytest
from starlette.testclient import TestClient

from tests.bench import skeleton_app

PAGE = '<form><input type="hidden" name="csrftoken" value="TOKEN"></form>' + "<p>x</p>" * 500


def test_each_response_is_the_page_with_a_fresh_token_gzipped(tmp_path, monkeypatch):
    (tmp_path / "page.html").write_text(PAGE)
    monkeypatch.setenv("TRYG_SKELETON_PAGE", str(tmp_path / "page.html"))
    monkeypatch.setenv("TRYG_SKELETON_TOKEN", "TOKEN")
    monkeypatch.setenv("TRYG_SKELETON_DB", str(tmp_path / "s.db"))
    with TestClient(skeleton_app.app) as client:
        tokens = []
        for _ in range(2):
            response = client.get("/", headers={"Accept-Encoding": "gzip"})
            assert response.status_code == 200
            assert response.headers["content-encoding"] == "gzip"
            assert int(response.headers["content-length"]) < len(PAGE) // 4
            token = re.search(r'value="([^"]+)"', response.text)
            assert token is not None and len(token.group(1)) == 86  # 64 bytes, base64url
            assert response.text.replace(token.group(1), "TOKEN") == PAGE
            tokens.append(token.group(1))
        assert tokens[0] != tokens[1]
        # The session row is really read: without it the page fails.
        with sqlite3.connect(tmp_path / "s.db") as conn:
            conn.execute("DELETE FROM session")
        with pytest.raises(RuntimeError, match="session row"):
            client.get("/")
