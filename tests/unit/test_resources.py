"""One resolver for the app's folders: the checkout's, unless the package carries its own."""

from pathlib import Path

from app import db, i18n, main, resources, web
from app.phone import worker

ROOT = Path(__file__).resolve().parents[2]


def test_a_checkout_uses_its_own_folders():
    assert resources.DATA_ROOT == ROOT
    assert web.TEMPLATE_DIR == ROOT / "templates"
    assert main.STATIC_DIR == worker.STATIC == ROOT / "static"
    assert i18n.LOCALE_DIR == ROOT / "locale"
    assert worker.SOURCE == ROOT / "service_worker" / "sw.js"
    assert db.MIGRATIONS_DIR == ROOT / "app" / "migrations"


def test_an_installed_package_uses_the_data_inside_it(tmp_path, monkeypatch):
    (tmp_path / resources.INSTALLED_DATA).mkdir()
    monkeypatch.setattr(resources, "PACKAGE_DIR", tmp_path)
    assert resources._data_root() == tmp_path / resources.INSTALLED_DATA
