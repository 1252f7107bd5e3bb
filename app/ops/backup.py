"""Encrypted, verified backups: ``python -m app backup FILE`` and ``restore FILE`` (issue 19).

A backup is a logical export of every table, read in one transaction (SQLite's WAL snapshot,
PostgreSQL's ``REPEATABLE READ``), so it is consistent while the app keeps writing. The same
format serves both databases. The file holds nothing readable: the export is compressed and
sealed with AES-256-GCM under ``TRYG_BACKUP_KEY`` in chunks::

    MAGIC | key id (4) | file id (16) | chunk*
    chunk = length (4, big endian; top bit set on the last chunk) | nonce (12) | ciphertext+tag

Each chunk's associated data is the header, its index and the last-chunk flag, so chunks cannot
be dropped, reordered, swapped between files or cut off at the end without the restore noticing.
Inside, JSON lines: a head (format, database kind, migration revision), per table its columns and
rows, and a tail with the row count of every table.

A restore goes into an empty database only: it creates the schema at the backup's revision,
loads the rows, then verifies before it says anything succeeded — the row count of every table,
the database's own integrity check, and that a sample of every encrypted column opens with
today's data keys — and migrates to the newest revision last. On SQLite it writes a new file
beside the target and moves it into place only when verified.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.url import make_url

from app import crypto, db
from app.auth import models as _auth_models  # noqa: F401 - registers encrypted columns
from app.contacts import models as _contact_models  # noqa: F401
from app.plans import models as _plan_models  # noqa: F401
from app.settings import decode_data_key

MAGIC = b"TRYG-BACKUP-1\n\x00\x00"
KEY_ID_BYTES = 4
FILE_ID_BYTES = 16
NONCE_BYTES = 12
CHUNK_BYTES = 1 << 20
LAST = 0x8000_0000
BATCH = 500
# How many values of each encrypted column a restore opens to prove the data key fits.
SAMPLE = 5
ALEMBIC = "alembic_version"


class BackupError(Exception):
    """A backup cannot be made or restored; the message is Danish and names no content."""


def backup_key(value: str) -> bytes:
    if not value:
        raise BackupError("TRYG_BACKUP_KEY er ikke sat (32 bytes, urlsafe base64)")
    try:
        return decode_data_key(value, "TRYG_BACKUP_KEY")
    except Exception as exc:  # SettingsError: the message never echoes the value
        raise BackupError(str(exc)) from None


@dataclass
class Summary:
    dialect: str
    revision: str
    counts: dict[str, int] = field(default_factory=dict)
    sampled: int = 0

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


# ------------------------------------------------------------------ values as JSON


def _encode(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"b": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, dict | list):
        return {"j": value}
    return value


def _decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "b" in value:
        return base64.b64decode(value["b"])
    if "t" in value:
        return datetime.fromisoformat(value["t"])
    if "d" in value:
        return date.fromisoformat(value["d"])
    return value["j"]


# ------------------------------------------------------------------ the sealed file


class _Sealer:
    def __init__(self, out: IO[bytes], key: bytes) -> None:
        self.out = out
        self.aead = AESGCM(key)
        self.header = MAGIC + crypto.key_id_of_key(key) + os.urandom(FILE_ID_BYTES)
        self.index = 0
        self.zip = zlib.compressobj(6)
        self.pending = bytearray()
        out.write(self.header)

    def line(self, obj: Any) -> None:
        data = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        self.pending += self.zip.compress(data)
        while len(self.pending) >= CHUNK_BYTES:
            self._chunk(bytes(self.pending[:CHUNK_BYTES]), last=False)
            del self.pending[:CHUNK_BYTES]

    def close(self) -> None:
        self.pending += self.zip.flush()
        self._chunk(bytes(self.pending), last=True)

    def _chunk(self, plain: bytes, *, last: bool) -> None:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.aead.encrypt(nonce, plain, _aad(self.header, self.index, last))
        length = len(sealed) | (LAST if last else 0)
        self.out.write(struct.pack(">I", length) + nonce + sealed)
        self.index += 1


def _aad(header: bytes, index: int, last: bool) -> bytes:
    return header + struct.pack(">QB", index, int(last))


def _opened(source: IO[bytes], key: bytes) -> Iterator[bytes]:
    """The plaintext chunks of a backup file, each checked; :class:`BackupError` otherwise."""
    header = source.read(len(MAGIC) + KEY_ID_BYTES + FILE_ID_BYTES)
    if not header.startswith(MAGIC):
        raise BackupError("filen er ikke en Tryg-sikkerhedskopi")
    if header[len(MAGIC) : len(MAGIC) + KEY_ID_BYTES] != crypto.key_id_of_key(key):
        raise BackupError("sikkerhedskopien er lavet med en anden TRYG_BACKUP_KEY")
    aead, index = AESGCM(key), 0
    while True:
        raw = source.read(4)
        if len(raw) < 4:
            raise BackupError("sikkerhedskopien er afkortet (den sidste del mangler)")
        (length,) = struct.unpack(">I", raw)
        last = bool(length & LAST)
        body = source.read(NONCE_BYTES + (length & ~LAST))
        try:
            plain = aead.decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], _aad(header, index, last))
        except (InvalidTag, ValueError):
            raise BackupError(
                f"del {index} af sikkerhedskopien er beskadiget eller ændret"
            ) from None
        yield plain
        index += 1
        if last:
            if source.read(1):
                raise BackupError("sikkerhedskopien har data efter sin sidste del")
            return


def _lines(source: IO[bytes], key: bytes) -> Iterator[Any]:
    unzip, rest = zlib.decompressobj(), b""
    for plain in _opened(source, key):
        rest += unzip.decompress(plain)
        *whole, rest = rest.split(b"\n")
        for line in whole:
            yield json.loads(line)
    rest += unzip.flush()
    if rest.strip():
        yield json.loads(rest)


# ------------------------------------------------------------------ backup


def _snapshot(conn: Connection) -> None:
    """One consistent view for every table read in this transaction."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        _utc(conn)


def _utc(conn: Connection) -> None:
    """PostgreSQL reads and writes times in UTC in this transaction, whatever the server's
    ``TimeZone``: SQLite's times are UTC without a zone, so a naive time means UTC everywhere."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")


def _tables(conn: Connection) -> list[sa.Table]:
    meta = sa.MetaData()
    meta.reflect(conn)
    return list(meta.sorted_tables)  # parents before children: the restore's insert order


def _revision(conn: Connection) -> str:
    return str(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one())


def make(url: str, key: bytes, path: Path) -> Summary:
    """Write an encrypted backup of the database at ``url`` to ``path`` (never overwritten)."""
    if path.exists():
        raise BackupError(f"{path} findes allerede; vælg et nyt filnavn")
    source = _sqlite_file(url)
    if source is not None and not source.is_file():
        raise BackupError(f"databasefilen {source} findes ikke")
    engine = db.make_engine(url)
    try:
        return _write(engine, key, path)
    except sa.exc.DBAPIError as exc:  # unreachable, or not a Tryg database
        raise BackupError(f"databasen kan ikke læses ({type(exc.orig).__name__})") from None
    finally:
        engine.dispose()


def _write(engine: Engine, key: bytes, path: Path) -> Summary:
    partial = path.with_name(path.name + ".partial")
    summary = Summary(dialect=engine.dialect.name, revision="")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out, engine.connect() as conn:
            with conn.begin():
                _snapshot(conn)
                summary.revision = _revision(conn)
                sealer = _Sealer(out, key)
                sealer.line(
                    {"tryg_backup": 1, "dialect": summary.dialect, "revision": summary.revision}
                )
                for table in _tables(conn):
                    names = [c.name for c in table.columns]
                    sealer.line({"table": table.name, "columns": names})
                    count = 0
                    order = list(table.primary_key.columns) or list(table.columns)
                    rows = conn.execution_options(yield_per=BATCH).execute(
                        sa.select(table).order_by(*order)
                    )
                    for row in rows:
                        sealer.line([_encode(v) for v in row])
                        count += 1
                    summary.counts[table.name] = count
                sealer.line({"counts": summary.counts})
                sealer.close()
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return summary


# ------------------------------------------------------------------ restore


def restore(url: str, key: bytes, path: Path) -> Summary:
    """Load the backup at ``path`` into the empty database at ``url`` and verify it."""
    if not path.is_file():
        raise BackupError(f"{path} findes ikke")
    final = _sqlite_file(url)
    if final is None:
        return _restore_into(url, key, path)
    if final.exists() and final.stat().st_size > 0:
        raise BackupError(f"{final} findes allerede; gendan til en ny, tom databasefil")
    staging = final.with_name(final.name + ".restoring")
    _remove_sqlite(staging)
    try:
        summary = _restore_into(f"sqlite:///{staging}", key, path)
        os.replace(staging, final)
    finally:
        _remove_sqlite(staging)
    return summary


def _restore_into(url: str, key: bytes, path: Path) -> Summary:
    engine = db.make_engine(url)
    try:
        summary = _load(engine, key, path)
        _verify(engine, summary)
        db.migrate(engine)
        summary.sampled = _sample(engine)
        if db.is_sqlite(engine):
            with engine.connect() as conn:  # everything into the main file before the move
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return summary


def _remove_sqlite(path: Path) -> None:
    for name in (path.name, path.name + "-wal", path.name + "-shm"):
        path.with_name(name).unlink(missing_ok=True)


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(db.normalise_url(url))
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("en gendannelse skal have en databasefil")
    return Path(parsed.database)


def _must_be_empty(engine: Engine, revision: str) -> bool:
    """Whether the schema must still be made; :class:`BackupError` if the database has rows."""
    meta = sa.MetaData()
    meta.reflect(engine)
    if not meta.tables:
        return True
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            if table.name != ALEMBIC and _count(conn, table):
                raise BackupError("databasen er ikke tom; gendan kun til en tom database")
        if ALEMBIC in meta.tables and _revision(conn) == revision:
            return False
    raise BackupError(
        f"databasen har tabeller fra en anden version end sikkerhedskopien ({revision});"
        " gendan til en helt tom database"
    )


def _load(engine: Engine, key: bytes, path: Path) -> Summary:
    with path.open("rb") as source:
        lines = _lines(source, key)
        head = next(lines, None)
        if not isinstance(head, dict) or head.get("tryg_backup") != 1:
            raise BackupError("sikkerhedskopien har et ukendt format")
        summary = Summary(dialect=str(head["dialect"]), revision=str(head["revision"]))
        if _must_be_empty(engine, summary.revision):
            db.migrate(engine, summary.revision)
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.begin() as conn:
            _utc(conn)
            for table in reversed(meta.sorted_tables):  # anything a migration put there
                if table.name != ALEMBIC:
                    conn.execute(table.delete())
            expected = _insert_all(conn, meta, lines)
            if next(lines, None) is not None:  # also checks that nothing follows the end
                raise BackupError("sikkerhedskopien har data efter sin slutning")
            _reset_sequences(conn, meta)
        if expected is None:
            raise BackupError("sikkerhedskopien er ufuldstændig (slutningen mangler)")
        summary.counts = expected
    return summary


def _insert_all(conn: Connection, meta: sa.MetaData, lines: Iterator[Any]) -> dict[str, int] | None:
    """Insert every row; the tail's row counts, or None when the file ends before it."""
    table: sa.Table | None = None
    columns: list[str] = []
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        if table is not None and batch:
            conn.execute(table.insert(), batch)
        batch.clear()

    for line in lines:
        if isinstance(line, list):
            if len(line) != len(columns):
                raise BackupError("sikkerhedskopien har en række, der ikke passer til sin tabel")
            if table is not None:  # None: alembic_version, which the migration wrote
                batch.append({c: _decode(v) for c, v in zip(columns, line, strict=True)})
                if len(batch) >= BATCH:
                    flush()
            continue
        flush()
        if "counts" in line:
            return {str(k): int(v) for k, v in line["counts"].items()}
        name, columns = line["table"], list(line["columns"])
        table = None if name == ALEMBIC else meta.tables.get(name)
        if table is None and name != ALEMBIC:
            raise BackupError(f"tabellen {name} findes ikke i databasens skema")
    return None


def _reset_sequences(conn: Connection, meta: sa.MetaData) -> None:
    """PostgreSQL: the next id after the restored ones (SQLite takes max(id) + 1 itself)."""
    if conn.dialect.name != "postgresql":
        return
    for table in meta.sorted_tables:
        for column in table.primary_key.columns:
            seq = conn.execute(
                sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                {"t": f'"{table.name}"', "c": column.name},
            ).scalar()
            if seq:
                top = sa.func.max(column)
                conn.execute(
                    sa.select(sa.func.setval(seq, sa.func.coalesce(top, 1), top.is_not(None)))
                )


def _count(conn: Connection, table: sa.Table) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _verify(engine: Engine, summary: Summary) -> None:
    meta = sa.MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        for name, count in summary.counts.items():
            if name == ALEMBIC:
                continue
            found = _count(conn, meta.tables[name])
            if found != count:
                raise BackupError(f"tabellen {name} har {found} rækker, sikkerhedskopien {count}")
        if db.is_sqlite(engine):
            check = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
            if check != "ok":
                raise BackupError("SQLite's integritetstjek fejlede efter gendannelsen")
            if conn.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                raise BackupError("en fremmednøgle peger på en række, der ikke findes")


def _sample(engine: Engine) -> int:
    """Open a few values of every encrypted column with today's data keys."""
    cipher, opened = crypto.configured(), 0
    with engine.connect() as conn:
        for col in crypto.registered_columns():
            value: sa.ColumnClause[bytes] = sa.column(col.column)
            rows = conn.execute(
                sa.select(value)
                .select_from(sa.table(col.table))
                .where(value.is_not(None))
                .limit(SAMPLE)
            )
            for (blob,) in rows:
                try:
                    cipher.decrypt(bytes(blob), col.context)
                except crypto.DecryptionError as exc:
                    raise BackupError(
                        f"{exc} — sæt den TRYG_DATA_KEY (eller TRYG_DATA_KEYS_OLD), som"
                        " databasen brugte, da sikkerhedskopien blev lavet"
                    ) from None
                opened += 1
    return opened
