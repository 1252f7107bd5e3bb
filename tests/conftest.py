"""Shared fixtures: an app on a fresh database per test, and PostgreSQL when available.

Migrating a database takes seconds and most tests need one: the migrations run once per test
run into a template SQLite file, and each test gets a copy of it (``settings``,
``migrated_sqlite_copy``). PostgreSQL tests make their own fresh database.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app import crypto, db
from app.db import normalise_url
from app.main import create_app
from app.settings import Settings

PG_ENV = "TRYG_TEST_POSTGRES_URL"


@pytest.fixture(autouse=True, scope="session")
def _data_key() -> None:
    """Code that writes plan rows outside an app (seeding, demo) needs the cipher too; the
    app factory configures the same development key."""
    crypto.configure(crypto.Cipher.from_settings(Settings()))


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with every migration applied, made once per test run. Copy it, never
    open it: :func:`migrated_sqlite_copy`."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        db.migrate(engine)
        with engine.connect() as conn:  # everything into the main file: no -wal to copy
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return path


@pytest.fixture
def migrated_sqlite_copy(migrated_sqlite: Path) -> Callable[[Path], str]:
    """``migrated_sqlite_copy(path)``: a fresh, fully migrated database at ``path``; its URL."""

    def copy(path: Path) -> str:
        shutil.copyfile(migrated_sqlite, path)
        return f"sqlite:///{path}"

    return copy


@pytest.fixture
def settings(tmp_path: Path, migrated_sqlite_copy: Callable[[Path], str]) -> Settings:
    """Development settings on a fresh (already migrated) SQLite file, as TestClient sees the
    site. The app's migrate-on-start finds nothing to do."""
    # TestClient reads a response to its end, so live streams end at once here
    # (after their first messages); browser tests use the real lifetime.
    return Settings(
        database_url=migrated_sqlite_copy(tmp_path / "tryg.db"),
        origin="http://testserver",
        live_stream_s=0,
    )


@pytest.fixture
def make_client(settings: Settings) -> Iterator[Callable[..., TestClient]]:
    """Build a started client with settings overrides: ``make_client(origin=...)``."""
    clients: list[TestClient] = []

    def factory(**overrides: object) -> TestClient:
        app = create_app(replace(settings, **overrides))
        client = TestClient(app, base_url=overrides.get("origin", settings.origin))  # type: ignore[arg-type]
        client.__enter__()
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def app(client: TestClient) -> Starlette:
    return client.app  # type: ignore[return-value]


def csrf_token(client: TestClient) -> str:
    """The CSRF token a page would embed (visit a page first so the cookie exists)."""
    if not any(name.endswith("tryg_csrf") for name in client.cookies):
        client.get("/")
    return next(v for k, v in client.cookies.items() if k.endswith("tryg_csrf"))


_MASKED_CSRF = re.compile(
    r'(name="csrftoken" value="|"X-CSRFToken": "|data-exit-token=")[A-Za-z0-9_-]+'
)


def same_csrf(html: str) -> str:
    """``html`` with its CSRF token (masked afresh in every response) replaced by one
    placeholder, to compare a fragment with the page that includes it."""
    return _MASKED_CSRF.sub(r"\1CSRF", html)


@contextmanager
def fresh_postgres_database(base: str) -> Iterator[str]:
    """A new, empty database on the server of ``base``, dropped afterwards; its URL."""
    name = f"tryg_test_{secrets.token_hex(4)}"
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; skipped (with the reason) without one."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL tests need a server (see README)")
    with fresh_postgres_database(base) as url:
        yield url


@pytest.fixture
def second_postgres_url(postgres_url: str) -> Iterator[str]:
    """Another fresh database on the same server (e.g. to restore a backup into)."""
    with fresh_postgres_database(os.environ[PG_ENV]) as url:
        yield url
