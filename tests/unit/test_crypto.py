"""Field encryption at rest: AES-GCM blobs, the EncryptedText column type, key rotation."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel, select

from app import crypto, db
from app.auth import identity
from app.auth.models import Passkey, Role, User
from app.crypto import Cipher, DecryptionError, EncryptedText
from app.settings import Settings, SettingsError

# The app's own registry, as `python -m app rotate-data-key` sees it (tests below swap it out).
APP_COLUMNS = {c.name: c for c in crypto.registered_columns()}

KEY_A = bytes(range(32))
KEY_B = bytes(range(100, 132))
DANISH = "Rødgrød med fløde — Æbler, Øl og Åer. Kodeord: blåbær"


def b64(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


class _Base(SQLModel):
    """Own metadata: these throwaway tables never reach the app's migrations."""

    metadata = sa.MetaData()


class CryptoTestSecret(_Base, table=True):
    __tablename__ = "crypto_test_secret"

    id: int | None = Field(default=None, primary_key=True)
    label: str = ""  # stored in the clear: proves the file grep below can find text
    text: str = Field(sa_column=sa.Column(EncryptedText("secret.text"), nullable=False))
    note: str | None = Field(
        default=None, sa_column=sa.Column(EncryptedText("secret.note"), nullable=True)
    )


TEXT = crypto.EncryptedColumn("crypto_test_secret", "text", "secret.text")
NOTE = crypto.EncryptedColumn("crypto_test_secret", "note", "secret.note")


@pytest.fixture(autouse=True)
def _restore_crypto(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test may configure its own cipher and registry; put the process-wide ones back."""
    monkeypatch.setattr(crypto, "_cipher", crypto._cipher)
    monkeypatch.setattr(crypto, "_registry", {})


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite file (WAL, as the app runs it) holding only the throwaway table."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'crypto.db'}")
    _Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def add(engine: Engine, *rows: CryptoTestSecret) -> None:
    with db.write_session(engine) as session:
        session.add_all(rows)


def read_all(engine: Engine) -> list[tuple[str, str | None]]:
    with db.read_session(engine) as session:
        rows = session.exec(select(CryptoTestSecret).order_by(CryptoTestSecret.id)).all()
        return [(r.text, r.note) for r in rows]


def raw_blobs(engine: Engine, column: str) -> list[bytes | None]:
    """The stored bytes, bypassing EncryptedText."""
    t = sa.table("crypto_test_secret", sa.column("id"), sa.column(column, sa.LargeBinary))
    with engine.connect() as conn:
        return list(conn.execute(sa.select(t.c[column]).order_by(t.c.id)).scalars())


# --- Cipher ---------------------------------------------------------------------------------


@pytest.mark.parametrize("plain", ["", "a", DANISH, "🛡️ " * 1000, "line\nbreak\x00nul"])
def test_round_trip(plain: str) -> None:
    cipher = Cipher(KEY_A)
    blob = cipher.encrypt(plain, "item.text")
    assert cipher.decrypt(blob, "item.text") == plain


def test_blob_format_and_fresh_nonce() -> None:
    cipher = Cipher(KEY_A)
    blob = cipher.encrypt(DANISH, "item.text")
    kid = crypto.key_id_of_key(KEY_A)
    assert blob[:1] == b"\x01" and blob[1:5] == kid == crypto.key_id(blob)
    assert len(blob) == 1 + 4 + 12 + len(DANISH.encode()) + 16
    assert cipher.is_current(blob)
    assert cipher.encrypt(DANISH, "item.text") != blob  # random nonce every time
    assert DANISH.encode() not in blob


def test_wrong_context_fails() -> None:
    cipher = Cipher(KEY_A)
    blob = cipher.encrypt(DANISH, "item.text")
    with pytest.raises(DecryptionError, match=r"contact\.phone") as err:
        cipher.decrypt(blob, "contact.phone")
    assert DANISH not in str(err.value)


@pytest.mark.parametrize(
    "where", [0, 1, 5, 17, -1], ids=["version", "key-id", "nonce", "ciphertext", "tag"]
)
def test_tampered_blob_fails(where: int) -> None:
    cipher = Cipher(KEY_A)
    blob = bytearray(cipher.encrypt(DANISH, "item.text"))
    blob[where] ^= 0x01
    with pytest.raises(DecryptionError) as err:
        cipher.decrypt(bytes(blob), "item.text")
    assert DANISH not in str(err.value)


@pytest.mark.parametrize("blob", [b"", b"\x01abc", b"not encrypted at all, just text"])
def test_malformed_blob_fails(blob: bytes) -> None:
    with pytest.raises(DecryptionError, match=r"item\.text"):
        Cipher(KEY_A).decrypt(blob, "item.text")
    assert not Cipher(KEY_A).is_current(blob)


def test_unknown_key_id_fails_without_plaintext() -> None:
    blob = Cipher(KEY_A).encrypt(DANISH, "item.text")
    with pytest.raises(DecryptionError) as err:
        Cipher(KEY_B).decrypt(blob, "item.text")
    message = str(err.value)
    assert crypto.key_id_of_key(KEY_A).hex() in message and "TRYG_DATA_KEYS_OLD" in message
    assert DANISH not in message and "Rødgrød" not in message


def test_old_keys_decrypt_but_only_the_current_key_encrypts() -> None:
    old_blob = Cipher(KEY_A).encrypt(DANISH, "item.text")
    cipher = Cipher(KEY_B, [KEY_A])
    assert cipher.decrypt(old_blob, "item.text") == DANISH
    assert not cipher.is_current(old_blob)
    fresh = cipher.reencrypt(old_blob, "item.text")
    assert cipher.is_current(fresh) and crypto.key_id(fresh) == crypto.key_id_of_key(KEY_B)


def test_cipher_refuses_bad_keys_and_empty_context() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Cipher(b"short")
    with pytest.raises(ValueError, match="32 bytes"):
        Cipher(KEY_A, [b"x" * 31])
    with pytest.raises(ValueError, match="context"):
        Cipher(KEY_A).encrypt("x", "")
    with pytest.raises(ValueError, match="context"):
        EncryptedText("")


def test_from_settings_uses_current_and_old_keys() -> None:
    old_blob = Cipher(KEY_A).encrypt("hej", "item.text")
    cipher = Cipher.from_settings(Settings(data_key=b64(KEY_B), data_keys_old=(b64(KEY_A),)))
    assert cipher.current_key_id == crypto.key_id_of_key(KEY_B)
    assert cipher.decrypt(old_blob, "item.text") == "hej"


def test_unconfigured_cipher_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crypto, "_cipher", None)
    with pytest.raises(RuntimeError, match="configure"):
        crypto.configured()


# --- Settings -------------------------------------------------------------------------------

BAD_KEYS = {
    "not-base64": "dette er ikke base64!",
    "33-bytes": "d" * 44,
    "16-bytes": b64(b"k" * 16),
    "standard-alphabet": base64.b64encode(b"\xfb" * 32).decode(),  # '+' and '/'
    "empty": "",
}


@pytest.mark.parametrize("value", BAD_KEYS.values(), ids=BAD_KEYS.keys())
def test_bad_data_key_is_refused_in_every_environment(value: str) -> None:
    for env in ("development", "production"):
        with pytest.raises(SettingsError, match="TRYG_DATA_KEY") as err:
            Settings(env=env, data_key=value).check()
        assert "Tryg starter ikke" in str(err.value)
        if value:
            assert value not in str(err.value)  # a key is never echoed


def test_bad_old_key_is_refused_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRYG_DATA_KEYS_OLD", f"{b64(KEY_A)},{b64(b'x' * 31)}")
    with pytest.raises(SettingsError, match=r"TRYG_DATA_KEYS_OLD nr\. 2 .*32 bytes"):
        Settings.from_env()


def test_good_keys_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRYG_DATA_KEY", b64(KEY_B).rstrip("="))  # padding is optional
    monkeypatch.setenv("TRYG_DATA_KEYS_OLD", f" {b64(KEY_A)} ,, ")
    s = Settings.from_env()
    assert s.data_keys_old == (b64(KEY_A),)
    assert Cipher.from_settings(s).current_key_id == crypto.key_id_of_key(KEY_B)


def test_no_old_keys_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRYG_DATA_KEYS_OLD", raising=False)
    assert Settings.from_env().data_keys_old == ()


# --- EncryptedText in a database -------------------------------------------------------------


def test_column_round_trip_and_null(engine: Engine) -> None:
    crypto.configure(Cipher(KEY_A))
    add(engine, CryptoTestSecret(text=DANISH, note=None), CryptoTestSecret(text="", note="ø"))
    assert read_all(engine) == [(DANISH, None), ("", "ø")]
    assert raw_blobs(engine, "note")[0] is None


def test_database_file_does_not_contain_the_plaintext(tmp_path: Path, engine: Engine) -> None:
    crypto.configure(Cipher(KEY_A))
    secret = "Skjuler mig hos Mette på Østergade 12"
    add(engine, CryptoTestSecret(label="synlig-etiket", text=secret, note=secret))
    assert read_all(engine) == [(secret, secret)]
    files = sorted(tmp_path.glob("crypto.db*"))  # the database, its -wal and -shm
    assert any(f.name.endswith("-wal") for f in files)
    content = b"".join(f.read_bytes() for f in files)
    assert b"synlig-etiket" in content  # the grep would find text stored in the clear
    for needle in (secret.encode(), b"Skjuler mig", "Østergade".encode()):
        assert needle not in content


def test_blob_copied_to_another_column_fails(engine: Engine) -> None:
    crypto.configure(Cipher(KEY_A))
    add(engine, CryptoTestSecret(text=DANISH))
    t = sa.table("crypto_test_secret", sa.column("text"), sa.column("note"))
    with engine.begin() as conn:
        conn.execute(sa.update(t).values(note=t.c.text))
    with pytest.raises(DecryptionError, match=r"secret\.note"):
        read_all(engine)


def test_wrong_key_fails_when_reading(engine: Engine) -> None:
    crypto.configure(Cipher(KEY_A))
    add(engine, CryptoTestSecret(text=DANISH))
    crypto.configure(Cipher(KEY_B))
    with pytest.raises(DecryptionError, match="ukendt nøgle-id"):
        read_all(engine)


def test_non_string_is_refused(engine: Engine) -> None:
    crypto.configure(Cipher(KEY_A))
    with pytest.raises(sa.exc.StatementError, match="expected str"):
        add(engine, CryptoTestSecret(text=42))  # type: ignore[arg-type]


# --- Rotation -------------------------------------------------------------------------------


def test_rotation(engine: Engine) -> None:
    crypto.configure(Cipher(KEY_A))
    originals = [(f"tekst {i} æøå", None if i % 2 else f"note {i}") for i in range(5)]
    add(engine, *(CryptoTestSecret(text=t, note=n) for t, n in originals))

    crypto.configure(Cipher(KEY_B))  # the new key alone cannot read A's blobs
    with pytest.raises(DecryptionError):
        read_all(engine)

    both = Cipher(KEY_B, [KEY_A])
    crypto.configure(both)
    assert read_all(engine) == originals
    add(engine, CryptoTestSecret(text="skrevet med B", note="B"))  # a mixed database
    originals.append(("skrevet med B", "B"))

    counts = crypto.rotate(engine, both, [TEXT, NOTE], batch_size=2)
    assert counts == {"crypto_test_secret.text": 5, "crypto_test_secret.note": 3}
    b_id = crypto.key_id_of_key(KEY_B)
    assert all(crypto.key_id(blob) == b_id for blob in raw_blobs(engine, "text"))
    notes = raw_blobs(engine, "note")
    assert [n is None for n in notes] == [n is None for _, n in originals]
    assert all(crypto.key_id(blob) == b_id for blob in notes if blob is not None)
    assert read_all(engine) == originals

    assert crypto.rotate(engine, both, [TEXT, NOTE]) == {TEXT.name: 0, NOTE.name: 0}

    crypto.configure(Cipher(KEY_B))  # A dropped from the old keys: everything still reads
    assert read_all(engine) == originals


def test_rotation_stops_at_a_value_it_cannot_open(engine: Engine) -> None:
    crypto.configure(Cipher(KEY_A))
    add(engine, CryptoTestSecret(text=DANISH))
    with pytest.raises(DecryptionError, match=r"crypto_test_secret\.text id 1") as err:
        crypto.rotate(engine, Cipher(KEY_B), [TEXT])
    assert DANISH not in str(err.value)


def test_rotate_iterates_the_registry(engine: Engine) -> None:
    crypto.configure(Cipher(KEY_A))
    add(engine, CryptoTestSecret(text="a", note="b"))
    crypto.register_column("crypto_test_secret", "text", "secret.text")
    crypto.register_column("crypto_test_secret", "text", "secret.text")  # idempotent
    assert crypto.registered_columns() == (TEXT,)
    assert "secret.note" in crypto.unregistered_contexts()
    assert crypto.rotate(engine, Cipher(KEY_B, [KEY_A])) == {TEXT.name: 1}


def test_register_column_refuses_conflicts() -> None:
    crypto.register_column("crypto_test_secret", "text", "secret.text")
    with pytest.raises(ValueError, match="already registered"):
        crypto.register_column("crypto_test_secret", "text", "secret.other")
    with pytest.raises(ValueError, match="already used"):
        crypto.register_column("crypto_test_secret", "note", "secret.text")


def test_cli_rotate_data_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.__main__ import main

    path = tmp_path / "cli.db"
    engine = db.make_engine(f"sqlite:///{path}")
    _Base.metadata.create_all(engine)
    crypto.configure(Cipher(KEY_A))
    add(engine, CryptoTestSecret(text="én"), CryptoTestSecret(text="to", note="tre"))
    crypto.register_column(TEXT.table, TEXT.column, TEXT.context)
    crypto.register_column(NOTE.table, NOTE.column, NOTE.context)
    monkeypatch.setattr(crypto, "_declared_contexts", {"secret.text", "secret.note"})
    monkeypatch.setenv("TRYG_DATABASE_URL", f"sqlite:///{path}")

    monkeypatch.setenv("TRYG_DATA_KEY", b64(KEY_B))  # A forgotten: stops, and says why
    assert main(["rotate-data-key"]) == 1
    assert "Rotationen stoppede" in capsys.readouterr().err

    monkeypatch.setenv("TRYG_DATA_KEYS_OLD", b64(KEY_A))
    assert main(["rotate-data-key"]) == 0
    out = capsys.readouterr().out
    assert "crypto_test_secret.text: 2 værdier" in out
    assert "crypto_test_secret.note: 1 værdier" in out
    assert "TRYG_DATA_KEYS_OLD" in out
    crypto.configure(Cipher(KEY_B))
    assert read_all(engine) == [("én", None), ("to", "tre")]
    engine.dispose()


def test_rotation_reseals_names_user_names_and_nicknames(tmp_path: Path) -> None:
    """Issue 12 point 11: identities are rotated with the data key; sign-in by user name still
    works afterwards (its look-up hash is keyed with TRYG_SECRET_KEY, not the data key)."""
    identities = [
        APP_COLUMNS[n] for n in ("user.display_name", "user.username", "passkey.nickname")
    ]
    settings = Settings()
    crypto.configure(Cipher(KEY_A, lookup_secret=settings.secret_key))
    engine = db.make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    db.migrate(engine)
    with db.write_session(engine) as session:
        maja = User(role=Role.victim, display_name="Maja Sørensen")
        identity.set_username(maja, settings, "maja.s")
        anna = User(role=Role.caseworker, display_name="Anna Politibetjent")
        session.add_all([maja, anna])
        session.flush()
        session.add(
            Passkey(user_id=maja.id, credential_id=b"c", public_key=b"k", nickname="Majas iPhone")
        )  # type: ignore[arg-type]

    both = Cipher(KEY_B, [KEY_A], lookup_secret=settings.secret_key)
    counts = crypto.rotate(engine, both, identities)
    assert counts == {"user.display_name": 2, "user.username": 1, "passkey.nickname": 1}

    crypto.configure(Cipher(KEY_B))  # A forgotten: everything reads under B alone
    with db.read_session(engine) as session:
        found = identity.find_by_username(session, settings, "maja.s")
        assert found is not None and found.id == maja.id
        assert (found.display_name, found.username) == ("Maja Sørensen", "maja.s")
        assert session.get(User, anna.id).display_name == "Anna Politibetjent"  # type: ignore[union-attr]
        assert session.exec(select(Passkey)).one().nickname == "Majas iPhone"
    engine.dispose()


# --- PostgreSQL -----------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_round_trip_and_rotation(postgres_url: str) -> None:
    engine = db.make_engine(postgres_url)
    try:
        _Base.metadata.create_all(engine)
        crypto.configure(Cipher(KEY_A))
        add(engine, CryptoTestSecret(text=DANISH, note=None), CryptoTestSecret(text="", note="ø"))
        assert read_all(engine) == [(DANISH, None), ("", "ø")]
        with engine.connect() as conn:
            kind = conn.execute(
                sa.text(
                    "SELECT data_type FROM information_schema.columns"
                    " WHERE table_name = 'crypto_test_secret' AND column_name = 'text'"
                )
            ).scalar_one()
        assert kind == "bytea"
        blob = raw_blobs(engine, "text")[0]
        assert blob is not None and DANISH.encode() not in blob

        both = Cipher(KEY_B, [KEY_A])
        crypto.configure(both)
        assert crypto.rotate(engine, both, [TEXT, NOTE], batch_size=1) == {
            TEXT.name: 2,
            NOTE.name: 1,
        }
        crypto.configure(Cipher(KEY_B))
        assert read_all(engine) == [(DANISH, None), ("", "ø")]
    finally:
        engine.dispose()
