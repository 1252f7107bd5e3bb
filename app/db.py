"""Engine, sessions and migrations.

SQLite is the default (one file, WAL, ``synchronous=FULL``, foreign keys on, a busy timeout).
pysqlite's own transaction handling is switched off so that we emit ``BEGIN`` ourselves: a
session opened with :func:`write_session` begins ``IMMEDIATE``, taking the write lock up front
instead of failing half-way with "database is locked". PostgreSQL works by URL.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool
from sqlmodel import Session, create_engine

from app import resources

log = logging.getLogger("tryg.db")

MIGRATIONS_DIR = resources.MIGRATIONS
BUSY_TIMEOUT_MS = 5000
# The thread pool's size (set in the app's lifespan) and the connections one thread may hold at
# once: every read shares the thread's open session (read_session); a read that records a row
# (a caseworker's read in the audit, an open editor's mark) does it in a short write of its
# own. The pool holds enough for all of them, so a crowd of requests may wait for a thread but
# never deadlocks on connections (tests/web/test_one_connection.py).
THREADS = 8
CONNECTIONS_PER_THREAD = 2
POOL_SIZE = THREADS * CONNECTIONS_PER_THREAD


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.removeprefix("postgres://")
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str) -> Engine:
    """``hide_parameters``: SQL errors must never copy personal data into a log line."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
            poolclass=QueuePool,
            pool_size=POOL_SIZE,
            max_overflow=0,
            hide_parameters=True,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=0, hide_parameters=True
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # Let SQLAlchemy's "begin" event below decide how a transaction starts.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("tryg_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


# The session open in this thread (each thread-pool call runs in a copy of the context), so
# a read inside it — a page extra rendered by an endpoint, a helper — uses its connection.
_open: ContextVar[tuple[Engine, Session] | None] = ContextVar("tryg_open_session", default=None)


@contextmanager
def _opened(engine: Engine, session: Session) -> Iterator[Session]:
    # Restored by value, not by token: a streamed response's generator resumes each step in a
    # fresh copy of the context (Starlette's iterate_in_threadpool).
    outer = _open.get()
    _open.set((engine, session))
    try:
        yield session
    finally:
        _open.set(outer)


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reads. Nothing is committed.

    Inside another session of the same engine in this thread, that session is used: a read
    never takes a second connection, so a crowd bigger than the connection pool cannot leave
    every worker holding one and waiting for another (tests/web/test_one_connection.py).
    """
    outer = _open.get()
    if outer is not None and outer[0] is engine:
        yield outer[1]
        return
    with Session(engine, expire_on_commit=False) as session, _opened(engine, session):
        yield session


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session whose transaction takes the write lock first (SQLite ``BEGIN IMMEDIATE``).

    Commits on success, rolls back on any exception: nothing half-written.
    """
    bind = engine.execution_options(tryg_write=True) if is_sqlite(engine) else engine
    with Session(bind, expire_on_commit=False) as session, _opened(engine, session):
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


@functools.cache
def head_revisions() -> frozenset[str]:
    """The newest revision(s) of the migration scripts (read once per process)."""
    return frozenset(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def is_migrated(engine: Engine) -> bool:
    """Is the database at the newest revision? (One small query; no migration script runs.)"""
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads()) == head_revisions()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Apply every migration (idempotent). Runs at start and by ``python -m app migrate``; on a
    database that is already up to date it is one query (every app start, every test)."""
    if revision == "head" and is_migrated(engine):
        return
    _alembic(engine, lambda cfg: command.upgrade(cfg, revision))


def downgrade(engine: Engine, revision: str) -> None:
    """Undo migrations down to ``revision`` (tests, and by hand)."""
    _alembic(engine, lambda cfg: command.downgrade(cfg, revision))


def _alembic(engine: Engine, run: Callable[[Config], None]) -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    if not is_sqlite(engine):
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            run(cfg)
        return
    # Alembic rebuilds an SQLite table to change it (copy, drop, rename); dropping a table that
    # other rows refer to fails while foreign keys are enforced. SQLite's own recipe: switch
    # them off outside the transaction and check them all before committing.
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        secure_delete = raw.execute("PRAGMA secure_delete").fetchone()[0]
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                run(cfg)
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
                if broken is not None:
                    raise RuntimeError(f"migration broke a foreign key in table {broken[0]}")
        finally:
            raw.execute("PRAGMA foreign_keys=ON")
            raw.execute(f"PRAGMA secure_delete={int(secure_delete)}")  # a migration may set it
        # Old page versions (e.g. clear values a migration sealed) must not linger in the log.
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.commit()


def ping(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means "not healthy"
        log.exception("database ping failed")
        return False
