import sqlite3

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlmodel import select

from app import db, demo
from app.auth.models import Role, User
from app.orgs.models import Organisation
from app.plans.models import Item, Plan
from app.settings import Settings, SettingsError


@pytest.fixture
def engine(tmp_path, migrated_sqlite_copy):
    engine = db.make_engine(migrated_sqlite_copy(tmp_path / "t.db"))
    db.migrate(engine)
    yield engine
    engine.dispose()


def test_sqlite_pragmas(engine):
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == db.BUSY_TIMEOUT_MS


def test_write_session_takes_the_write_lock_up_front(engine, tmp_path):
    """BEGIN IMMEDIATE: another writer is refused while our write transaction is open,
    even before we have written anything."""
    other = sqlite3.connect(tmp_path / "t.db", timeout=0, isolation_level=None)
    with db.write_session(engine) as session:
        session.exec(select(Organisation)).all()  # a read only; the lock is already held
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")  # free again after commit
    other.execute("ROLLBACK")
    other.close()


def test_read_session_does_not_lock(engine, tmp_path):
    other = sqlite3.connect(tmp_path / "t.db", timeout=0, isolation_level=None)
    with db.read_session(engine) as session:
        session.exec(select(Organisation)).all()
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    other.close()


def test_write_session_rolls_back_on_error(engine):
    with pytest.raises(RuntimeError), db.write_session(engine) as session:
        session.add(Organisation(name="Halv"))
        session.flush()
        raise RuntimeError("boom")
    with db.read_session(engine) as session:
        assert session.exec(select(Organisation)).all() == []


def test_foreign_keys_are_enforced(engine):
    with pytest.raises(Exception, match="FOREIGN KEY"), db.write_session(engine) as session:
        session.add(User(role=Role.caseworker, display_name="X", organisation_id=999))


def test_migrations_are_idempotent(engine):
    db.migrate(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"organisation", "user", "alembic_version"} <= tables


def test_migrate_on_an_up_to_date_database_runs_no_migration_script(engine, monkeypatch):
    """Every app start (and every test's app) migrates: on a current database that must stay
    one query, not alembic loading every script."""
    monkeypatch.setattr(command, "upgrade", lambda *a, **k: pytest.fail("alembic upgrade ran"))
    assert db.is_migrated(engine)
    db.migrate(engine)


def test_migrate_brings_an_empty_database_to_the_newest_revision(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        assert not db.is_migrated(engine)
        db.migrate(engine)
        assert db.is_migrated(engine)
        with engine.connect() as conn:
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert {current} == db.head_revisions()
    finally:
        engine.dispose()


def test_sql_errors_do_not_carry_parameters(engine):
    """Log lines must never quote personal data: SQL parameters are hidden."""
    with pytest.raises(Exception) as err, db.write_session(engine) as session:
        session.add(
            User(role=Role.caseworker, display_name="Hemmelig Hansen", organisation_id=424242)
        )
    assert "Hemmelig Hansen" not in str(err.value)


def test_demo_is_idempotent(engine):
    first = demo.load(engine, Settings())
    second = demo.load(engine, Settings())
    assert first.created and not second.created
    with db.read_session(engine) as session:
        orgs = session.exec(select(Organisation)).all()
        users = session.exec(select(User)).all()
    assert sorted(o.name for o in orgs) == sorted(n for n, *_ in demo.ORGANISATIONS)
    for org in orgs:
        roles = sorted(u.role for u in users if u.organisation_id == org.id)
        assert roles == ["caseworker", "org_admin"]
    assert [u.display_name for u in users if u.role == "victim"] == [demo.DEMO_VICTIM]
    assert first.codes["victim"] != second.codes["victim"]  # fresh codes each run
    with db.read_session(engine) as session:
        plans = session.exec(select(Plan)).all()
        sample = session.exec(select(Item).where(Item.plan_id == plans[0].id)).all()
    assert [p.victim_id for p in plans] == [first.victim.id]  # one sample plan, not two
    assert any("blå cykel" in i.text for i in sample)


def test_demo_is_refused_in_production(engine):
    prod = Settings(
        env="production", secret_key="k" * 40, data_key="d" * 43, origin="https://tryg.example"
    )
    with pytest.raises(SettingsError):
        demo.load(engine, prod)
