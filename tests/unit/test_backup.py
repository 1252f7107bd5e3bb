"""`python -m app backup FILE` / `restore FILE` (issue 19 point 1): the demo data restores into an
empty database and reads the same; the file holds nothing readable; a wrong key, a changed or
cut file, or a database that is not empty is refused before anything claims success."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import crypto, db, demo
from app.__main__ import main
from app.ops import backup

BACKUP_KEY = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch):
    """Run ``python -m app …`` against a database URL with a backup key set."""
    monkeypatch.setattr(crypto, "_cipher", crypto._cipher)  # main() configures its own cipher
    monkeypatch.setenv("TRYG_BACKUP_KEY", BACKUP_KEY)

    def run(url: str, *argv: str) -> int:
        monkeypatch.setenv("TRYG_DATABASE_URL", url)
        return main(list(argv))

    return run


def _utc(value: object) -> object:
    """A time as UTC without a zone (SQLite keeps it so; PostgreSQL answers with a zone)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def everything(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table (the migration's own bookkeeping too), in key order."""
    engine = db.make_engine(url)
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            return {
                t.name: [
                    tuple(_utc(v) for v in r)
                    for r in conn.execute(sa.select(t).order_by(*t.primary_key.columns))
                ]
                for t in meta.sorted_tables
            }
    finally:
        engine.dispose()


def plan_texts(url: str) -> list[str]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            blobs = conn.execute(sa.text("SELECT text FROM item ORDER BY id")).scalars()
            return [crypto.configured().decrypt(bytes(b), "item.text") for b in blobs]
    finally:
        engine.dispose()


def round_trip(cli, source: str, target: str, file: Path, capsys) -> None:
    assert cli(source, "demo") == 0
    assert cli(source, "backup", str(file)) == 0
    assert "krypteret med TRYG_BACKUP_KEY" in capsys.readouterr().out

    raw = file.read_bytes()
    texts = plan_texts(source)
    assert texts, "the demo plan has items"
    personal = [*texts, demo.DEMO_VICTIM, *demo.DEMO_USERNAMES.values(), "Esbjerg Lokalpoliti"]
    for clear in personal:
        assert clear.encode() not in raw, "the backup holds readable text"
    assert b"demo" not in raw.lower() and b"plan" not in raw.lower()

    assert cli(target, "restore", str(file)) == 0
    out = capsys.readouterr().out
    assert "Gendannet og kontrolleret" in out and "krypterede værdier åbnet" in out
    assert everything(target) == everything(source)
    assert plan_texts(target) == texts

    # A second restore into the now filled database is refused.
    assert cli(target, "restore", str(file)) == 1
    assert "tom" in capsys.readouterr().err


def test_demo_data_restores_the_same_on_sqlite(cli, tmp_path, capsys):
    round_trip(
        cli,
        f"sqlite:///{tmp_path / 'live.db'}",
        f"sqlite:///{tmp_path / 'restored.db'}",
        tmp_path / "tryg.backup",
        capsys,
    )


@pytest.mark.postgres
def test_demo_data_restores_the_same_on_postgres(
    cli, postgres_url, second_postgres_url, tmp_path, capsys
):
    round_trip(cli, postgres_url, second_postgres_url, tmp_path / "tryg.backup", capsys)
    # The restored database takes new rows after the restored ones (its id sequences moved on).
    engine = db.make_engine(second_postgres_url)
    try:
        with engine.begin() as conn:
            top = conn.execute(sa.text("SELECT max(id) FROM organisation")).scalar_one()
            new = conn.execute(
                sa.text(
                    "INSERT INTO organisation (name, kind, created_at)"
                    " VALUES ('Ny', 'andet', now()) RETURNING id"
                )
            ).scalar_one()
        assert new > top
    finally:
        engine.dispose()


@pytest.fixture
def made(cli, tmp_path, capsys) -> Path:
    file = tmp_path / "b.backup"
    url = f"sqlite:///{tmp_path / 'src.db'}"
    assert cli(url, "demo") == 0
    assert cli(url, "backup", str(file)) == 0
    capsys.readouterr()
    return file


def refused(cli, tmp_path, file: Path, capsys) -> str:
    target = tmp_path / f"t{secrets.token_hex(2)}.db"
    assert cli(f"sqlite:///{target}", "restore", str(file)) == 1
    assert not target.exists(), "a refused restore leaves no database behind"
    return str(capsys.readouterr().err)


def test_a_wrong_key_is_refused(cli, made, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TRYG_BACKUP_KEY", base64.urlsafe_b64encode(b"x" * 32).decode())
    assert "en anden TRYG_BACKUP_KEY" in refused(cli, tmp_path, made, capsys)


def test_a_changed_or_cut_file_is_refused(cli, made, tmp_path, capsys):
    raw = made.read_bytes()
    changed = bytearray(raw)
    changed[len(raw) // 2] ^= 1
    made.write_bytes(bytes(changed))
    assert "beskadiget" in refused(cli, tmp_path, made, capsys)
    made.write_bytes(raw[:-40])
    assert "beskadiget" in refused(cli, tmp_path, made, capsys)
    made.write_bytes(raw + b"more")
    assert "efter" in refused(cli, tmp_path, made, capsys)


def test_a_restore_needs_the_data_key_the_backup_was_made_with(
    cli, made, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("TRYG_DATA_KEY", base64.urlsafe_b64encode(b"y" * 32).decode())
    assert "TRYG_DATA_KEY" in refused(cli, tmp_path, made, capsys)


def test_backup_needs_a_key_and_never_overwrites(cli, made, tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'src.db'}"
    assert cli(url, "backup", str(made)) == 1
    assert "findes allerede" in capsys.readouterr().err
    monkeypatch.delenv("TRYG_BACKUP_KEY")
    assert cli(url, "backup", str(tmp_path / "new.backup")) == 1
    assert "TRYG_BACKUP_KEY er ikke sat" in capsys.readouterr().err
    assert not (tmp_path / "new.backup").exists()


def test_backup_of_a_missing_database_says_so(cli, tmp_path, capsys):
    assert cli(f"sqlite:///{tmp_path / 'none.db'}", "backup", str(tmp_path / "b")) == 1
    assert "findes ikke" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "b").exists()
    assert cli("postgresql://postgres@127.0.0.1:1/none", "backup", str(tmp_path / "b")) == 1
    assert "kan ikke læses" in capsys.readouterr().err


def test_chunks_cannot_be_reordered(tmp_path):
    """The format itself: many chunks, each bound to its place."""
    key = secrets.token_bytes(32)
    file = tmp_path / "x"
    with file.open("wb") as out:
        sealer = backup._Sealer(out, key)
        for i in range(3):
            sealer._chunk(f"part {i}".encode(), last=i == 2)
    with file.open("rb") as source:
        assert list(backup._opened(source, key)) == [b"part 0", b"part 1", b"part 2"]
    raw = file.read_bytes()
    head = len(backup.MAGIC) + backup.KEY_ID_BYTES + backup.FILE_ID_BYTES
    size = 4 + backup.NONCE_BYTES + len(b"part 0") + 16
    first, second = raw[head : head + size], raw[head + size : head + 2 * size]
    file.write_bytes(raw[:head] + second + first + raw[head + 2 * size :])
    with file.open("rb") as source, pytest.raises(backup.BackupError):
        list(backup._opened(source, key))


@pytest.mark.postgres
def test_a_sqlite_backup_restores_into_postgres(cli, postgres_url, tmp_path, capsys):
    """The way from one machine to several instances: the same format on both databases."""
    source = f"sqlite:///{tmp_path / 'one.db'}"
    assert cli(source, "demo") == 0
    assert cli(source, "backup", str(tmp_path / "move.backup")) == 0
    # SQLite's times are UTC without a zone; a server in Danish time must not move them.
    engine = db.make_engine(postgres_url)
    try:
        with engine.begin() as conn:
            name = conn.exec_driver_sql("SELECT current_database()").scalar_one()
            conn.exec_driver_sql(f"ALTER DATABASE \"{name}\" SET timezone = 'Europe/Copenhagen'")
    finally:
        engine.dispose()
    assert cli(postgres_url, "restore", str(tmp_path / "move.backup")) == 0
    assert everything(postgres_url) == everything(source)
    assert plan_texts(postgres_url) == plan_texts(source)
