"""The same migrations and demo data on PostgreSQL (skips, saying why, without a server)."""

import pytest
from sqlalchemy import inspect
from starlette.testclient import TestClient

from app import db, demo
from app.main import create_app
from app.settings import Settings

pytestmark = pytest.mark.postgres


def test_migrations_and_demo_on_postgres(postgres_url):
    engine = db.make_engine(postgres_url)
    try:
        db.migrate(engine)
        db.migrate(engine)
        assert {"organisation", "user"} <= set(inspect(engine).get_table_names())
        assert demo.load(engine, Settings()).created
        assert not demo.load(engine, Settings()).created
    finally:
        engine.dispose()


def test_healthz_on_postgres(postgres_url):
    with TestClient(create_app(Settings(database_url=postgres_url))) as client:
        assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_on_postgres_needs_the_broker_listening(postgres_url):
    with TestClient(create_app(Settings(database_url=postgres_url))) as client:
        assert client.get("/readyz").json() == {"status": "ok"}
        client.app.state.broker.listening.clear()  # as when its LISTEN connection is lost
        r = client.get("/readyz")
        assert r.status_code == 503 and r.json()["problems"] == ["broker"]
