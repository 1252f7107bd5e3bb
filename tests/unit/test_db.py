import secrets
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import MetaData, Table, inspect, text
from sqlmodel import select

from app import crypto, db, demo
from app.auth import identity
from app.auth.models import Organisation, Passkey, Role, User
from app.plans.access import granted_victims
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


# --- 0009: identities sealed at rest ----------------------------------------------------------

OLD_NAMES = {"victim": "Maja Sørensen", "caseworker": "Anna Politibetjent", "admin": "Henrik"}
OLD_USERNAME = "maja.s"
OLD_NICKNAME = "Majas iPhone"


@pytest.fixture(autouse=True)
def _app_cipher(monkeypatch):
    """The cipher as the app configures it from its settings (other tests may have left another
    one, e.g. with another TRYG_SECRET_KEY, which keys the user-name look-up)."""
    monkeypatch.setattr(crypto, "_cipher", crypto._cipher)
    crypto.configure(crypto.Cipher.from_settings(Settings()))


def _seed_before_0009(engine) -> dict[str, int]:
    """Rows as a database at 0008 holds them: names in clear, the victim granted to Anna."""
    meta = MetaData()
    t = {
        n: Table(n, meta, autoload_with=engine)
        for n in ("organisation", "user", "passkey", "plan", "grant")
    }
    at = datetime(2026, 1, 1, tzinfo=UTC)
    ids: dict[str, int] = {}
    with engine.begin() as conn:
        org = conn.execute(
            t["organisation"]
            .insert()
            .values(name="Esbjerg Lokalpoliti", kind="politi", created_at=at)
        ).inserted_primary_key[0]
        for role, name in OLD_NAMES.items():
            ids[role] = conn.execute(
                t["user"]
                .insert()
                .values(
                    role={"admin": "org_admin"}.get(role, role),
                    display_name=name,
                    organisation_id=None if role == "victim" else org,
                    webauthn_user_handle=secrets.token_bytes(32),
                    username=OLD_USERNAME if role == "victim" else None,
                    password_hash="x" if role == "victim" else None,
                    created_at=at,
                )
            ).inserted_primary_key[0]
        conn.execute(
            t["passkey"]
            .insert()
            .values(
                user_id=ids["victim"],
                credential_id=b"cred",
                public_key=b"pk",
                sign_count=0,
                transports="",
                backup_eligible=False,
                backed_up=False,
                nickname=OLD_NICKNAME,
                created_at=at,
            )
        )
        plan = conn.execute(
            t["plan"].insert().values(victim_id=ids["victim"], created_at=at)
        ).inserted_primary_key[0]
        conn.execute(
            t["grant"].insert().values(plan_id=plan, caseworker_id=ids["caseworker"], granted_at=at)
        )
    return ids


def _names(engine, ids: dict[str, int]) -> dict[str, object]:
    with db.read_session(engine) as session:
        victim = session.get(User, ids["victim"])
        found = identity.find_by_username(session, Settings(), OLD_USERNAME)
        return {
            **{role: session.get(User, i).display_name for role, i in ids.items()},
            "username": victim.username,
            "nickname": session.exec(select(Passkey)).one().nickname,
            "signs_in": found is not None and found.id == ids["victim"],
            "caseload": [v.display_name for _p, v in granted_victims(session, ids["caseworker"])],
        }


def _upgrade_keeps_every_name_readable(engine) -> dict[str, int]:
    db.migrate(engine, "0008")
    ids = _seed_before_0009(engine)
    db.migrate(engine)
    assert _names(engine, ids) == {
        **OLD_NAMES,
        "username": OLD_USERNAME,
        "nickname": OLD_NICKNAME,
        "signs_in": True,
        "caseload": [OLD_NAMES["victim"]],
    }
    with engine.connect() as conn:  # sealed under the current key, nothing in clear
        raw = conn.execute(text('SELECT display_name, username FROM "user"')).all()
    current = crypto.configured().current_key_id
    assert all(crypto.key_id(bytes(name)) == current for name, _u in raw)
    return ids


@pytest.fixture
def fresh(tmp_path):
    """An empty SQLite file, no migration run yet."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    yield engine
    engine.dispose()


def test_0009_seals_existing_names_and_the_file_forgets_them(fresh, tmp_path):
    _upgrade_keeps_every_name_readable(fresh)
    words = [*OLD_NAMES.values(), OLD_USERNAME, OLD_NICKNAME]
    for path in (tmp_path / "old.db", tmp_path / "old.db-wal"):
        raw = path.read_bytes() if path.exists() else b""
        assert [w for w in words if w.encode() in raw] == [], path.name


def test_0009_downgrade_gives_the_names_back_in_clear(fresh):
    engine = fresh
    ids = _upgrade_keeps_every_name_readable(engine)
    db.downgrade(engine, "0008")
    with engine.connect() as conn:
        rows = conn.execute(text('SELECT id, display_name, username FROM "user"')).all()
        nickname = conn.execute(text("SELECT nickname FROM passkey")).scalar_one()
    by_id = {i: (name, username) for i, name, username in rows}
    assert by_id[ids["victim"]] == (OLD_NAMES["victim"], OLD_USERNAME)
    assert by_id[ids["caseworker"]] == (OLD_NAMES["caseworker"], None)
    assert nickname == OLD_NICKNAME
    db.migrate(engine)
    assert _names(engine, ids)["signs_in"] is True


@pytest.mark.postgres
def test_0009_on_postgres(postgres_url):
    engine = db.make_engine(postgres_url)
    try:
        _upgrade_keeps_every_name_readable(engine)
        with engine.connect() as conn:
            kind = conn.execute(
                text(
                    "SELECT data_type FROM information_schema.columns"
                    " WHERE table_name = 'user' AND column_name = 'display_name'"
                )
            ).scalar_one()
        assert kind == "bytea"
    finally:
        engine.dispose()


# --- 0014: template copies have no changer ------------------------------------------------------


def _template_changers_after_0014(engine) -> dict[str, int | None]:
    """A plan as 0013 left it: every copied item stamped with the creating caseworker; one of
    them edited later, one item added later. After 0014 only those two keep a changer. (Rows
    written as SQL at 0013: the models know later columns.)"""
    db.migrate(engine, "0013")
    meta = MetaData()
    t = {n: Table(n, meta, autoload_with=engine) for n in ("user", "plan", "section", "item")}
    at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    with engine.begin() as conn:

        def person(role: str) -> int:
            values = {"role": role, "display_name": b"x", "created_at": at}
            values["webauthn_user_handle"] = secrets.token_bytes(32)
            return conn.execute(t["user"].insert().values(**values)).inserted_primary_key[0]

        anna, maja = person("caseworker"), person("victim")
        plan = conn.execute(
            t["plan"].insert().values(victim_id=maja, created_at=at)
        ).inserted_primary_key[0]
        section = conn.execute(
            t["section"]
            .insert()
            .values(
                plan_id=plan, title=b"x", position=0, version=1, changed_by_id=anna, changed_at=at
            )
        ).inserted_primary_key[0]
        for position, (minutes, version) in enumerate(((0, 1), (30, 2), (30, 1))):
            conn.execute(
                t["item"]
                .insert()
                .values(
                    plan_id=plan,
                    section_id=section,
                    text=b"x",
                    done=False,
                    position=position,
                    version=version,
                    changed_by_id=anna,
                    changed_at=at + timedelta(minutes=minutes),
                )
            )
    db.migrate(engine)
    names = ("copied", "edited", "added")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT position, changed_by_id FROM item")).all()
        found = {names[position]: by for position, by in rows}
        found["section"] = conn.execute(text("SELECT changed_by_id FROM section")).scalar_one()
    return {key: (None if value is None else 1) for key, value in found.items()}


EXPECTED_0014 = {"copied": None, "section": None, "edited": 1, "added": 1}


def test_0014_clears_the_changer_of_untouched_template_copies_only(fresh):
    assert _template_changers_after_0014(fresh) == EXPECTED_0014


@pytest.mark.postgres
def test_0014_on_postgres(postgres_url):
    engine = db.make_engine(postgres_url)
    try:
        assert _template_changers_after_0014(engine) == EXPECTED_0014
    finally:
        engine.dispose()
