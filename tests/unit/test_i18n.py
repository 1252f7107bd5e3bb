import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from starlette.requests import Request

from app import i18n

ROOT = Path(__file__).resolve().parents[2]


def request(headers: dict[str, str] | None = None, cookies: str | None = None) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if cookies:
        raw.append((b"cookie", cookies.encode()))
    return Request({"type": "http", "headers": raw, "method": "GET", "path": "/"})


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", "da"),
        ("en-GB,en;q=0.9", "en"),
        ("da-DK,da;q=0.9,en;q=0.8", "da"),
        ("de-DE,en;q=0.5,da;q=0.7", "da"),
        ("fr, en;q=0.1", "en"),
        ("fr, de", "da"),
        ("en;q=0, da;q=0.1", "da"),
        ("garbage;;;q=x, ,", "da"),
    ],
)
def test_accept_language(header, expected):
    assert i18n.choose_locale(request({"Accept-Language": header})) == expected


def test_precedence_user_then_cookie_then_header():
    req = request({"Accept-Language": "en"}, cookies="tryg_lang=da")
    assert i18n.choose_locale(req) == "da"
    assert i18n.choose_locale(req, user_locale="en") == "en"
    assert i18n.choose_locale(request(cookies="tryg_lang=xx")) == "da"


def test_gettext_follows_current_locale():
    i18n.set_locale("da")
    assert i18n.gettext("Leave this page") == "Forlad siden"
    i18n.set_locale("en")
    assert i18n.gettext("Leave this page") == "Leave this page"
    i18n.set_locale("da")


def test_every_msgid_has_a_danish_translation(tmp_path):
    """Extract afresh from the code and templates, so a new string cannot slip through."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_",
            "-k",
            "gettext",
            "-k",
            "N_",
            "-k",
            "ngettext:1,2",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    extracted = {(m.id, m.context) for m in read_po(pot.open("rb")) if m.id}
    assert len(extracted) > 20, "extraction found suspiciously few messages"
    catalog = read_po((ROOT / "locale/da/LC_MESSAGES/messages.po").open("rb"), locale="da")
    missing = []
    for msgid, context in sorted(extracted, key=str):
        message = catalog.get(msgid, context=context)
        strings = message.string if message else None
        values = strings if isinstance(strings, tuple) else (strings,)
        if not message or message.fuzzy or not all(values):
            missing.append(msgid)
    assert not missing, f"Danish translation missing for: {missing}"


def test_a_missing_catalog_stops_the_app_at_start_naming_the_file(tmp_path, monkeypatch):
    from app.main import create_app
    from app.settings import Settings

    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path / "locale")
    with pytest.raises(i18n.CatalogMissing) as caught:
        create_app(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}"))
    message = str(caught.value)
    assert str(tmp_path / "locale" / "da" / "LC_MESSAGES" / "messages.mo") in message
    assert "pybabel compile" in message and "make catalogs" in message


def test_serve_without_a_catalog_exits_with_the_reason(tmp_path, monkeypatch, capsys):
    import uvicorn

    from app.__main__ import main

    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("the server started"))
    assert main(["serve"]) == 2
    assert "messages.mo" in capsys.readouterr().err
