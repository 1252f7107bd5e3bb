"""Field encryption at rest (docs/design.md §2 point 8): AES-256-GCM under an application key.

Someone with a copy of the database or a backup must not be able to read plan text, contacts or
the diary. Each value is sealed on its own::

    0x01 (version) | key id (4 bytes) | nonce (12 random bytes) | ciphertext + 16-byte GCM tag

The key id is the first 4 bytes of SHA-256 of the raw key, so a blob says which key sealed it and
old keys (``TRYG_DATA_KEYS_OLD``) keep working until :func:`rotate` has re-sealed everything under
the current one (``TRYG_DATA_KEY``). The additional authenticated data is the column's *context*
(e.g. ``"item.text"``): a blob copied into another column does not decrypt.

A model declares an encrypted column with :class:`EncryptedText` and registers it for rotation::

    class Item(SQLModel, table=True):
        id: int | None = Field(default=None, primary_key=True)
        text: str = Field(sa_column=Column(EncryptedText("item.text"), nullable=False))

    crypto.register_column("item", "text", "item.text")

The migration declares the column as ``sa.LargeBinary()``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.types import TypeDecorator

from app.settings import DATA_KEY_BYTES, Settings, decode_data_key

VERSION = b"\x01"
KEY_ID_BYTES = 4
NONCE_BYTES = 12
TAG_BYTES = 16
_KEY_ID_END = len(VERSION) + KEY_ID_BYTES
_HEADER_BYTES = _KEY_ID_END + NONCE_BYTES


class DecryptionError(Exception):
    """A blob cannot be opened: unknown key id, wrong context, tampered or malformed.

    The message names the context and the reason, never any plaintext.
    """


def key_id_of_key(key: bytes) -> bytes:
    """The id under which ``key`` is stored in a blob: SHA-256(key)[:4]."""
    return hashlib.sha256(key).digest()[:KEY_ID_BYTES]


def key_id(blob: bytes) -> bytes:
    """The id of the key that sealed ``blob``; :class:`DecryptionError` if it is no blob of ours."""
    if len(blob) < _HEADER_BYTES + TAG_BYTES or blob[:1] != VERSION:
        raise DecryptionError("ukendt format (ikke en krypteret værdi af version 1)")
    return bytes(blob[1:_KEY_ID_END])


def _aad(context: str) -> bytes:
    if not context:
        raise ValueError("context must name the column, e.g. 'item.text'")
    return context.encode("utf-8")


class Cipher:
    """Seals with the current key; opens with the current key or any old one.

    ``lookup_secret`` is the key of keyed lookups (``TRYG_SECRET_KEY``, see app/auth/identity.py).
    It travels with the process-wide cipher so that a migration, which sees only
    :func:`configured`, hashes user names with the same key as the app.
    """

    def __init__(
        self, current: bytes, old: Iterable[bytes] = (), *, lookup_secret: str | None = None
    ) -> None:
        self.lookup_secret = lookup_secret
        self._keys: dict[bytes, AESGCM] = {}
        raw_by_id: dict[bytes, bytes] = {}
        for key in (current, *old):
            if len(key) != DATA_KEY_BYTES:
                raise ValueError(f"a data key is {DATA_KEY_BYTES} bytes, not {len(key)}")
            kid = key_id_of_key(key)
            if raw_by_id.setdefault(kid, key) != key:
                # 1 in 4 billion per pair, but then a blob would be opened with the wrong key.
                raise ValueError(f"two different data keys share the key id {kid.hex()}")
            self._keys.setdefault(kid, AESGCM(key))
        self.current_key_id: bytes = key_id_of_key(current)

    @classmethod
    def from_settings(cls, settings: Settings) -> Cipher:
        return cls(
            decode_data_key(settings.data_key),
            [decode_data_key(k, "TRYG_DATA_KEYS_OLD") for k in settings.data_keys_old],
            lookup_secret=settings.secret_key,
        )

    def encrypt(self, plaintext: str, context: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._keys[self.current_key_id].encrypt(
            nonce, plaintext.encode("utf-8"), _aad(context)
        )
        return VERSION + self.current_key_id + nonce + sealed

    def decrypt(self, blob: bytes, context: str) -> str:
        try:
            kid = key_id(blob)
        except DecryptionError as exc:
            raise DecryptionError(f"{context}: {exc}") from None
        aead = self._keys.get(kid)
        if aead is None:
            raise DecryptionError(
                f"{context}: ukendt nøgle-id {kid.hex()} (mangler nøglen i TRYG_DATA_KEYS_OLD?)"
            )
        nonce = blob[_KEY_ID_END:_HEADER_BYTES]
        try:
            plain = aead.decrypt(bytes(nonce), bytes(blob[_HEADER_BYTES:]), _aad(context))
        except InvalidTag:
            raise DecryptionError(
                f"{context}: kan ikke dekrypteres (forkert kolonne, eller værdien er ændret)"
            ) from None
        return plain.decode("utf-8")

    def is_current(self, blob: bytes) -> bool:
        """Whether ``blob`` is sealed under the current key (``False`` for anything else)."""
        return bytes(blob[:_KEY_ID_END]) == VERSION + self.current_key_id

    def reencrypt(self, blob: bytes, context: str) -> bytes:
        """``blob`` sealed again under the current key (with a fresh nonce)."""
        return self.encrypt(self.decrypt(blob, context), context)


# One cipher per process: column types are created at import time, long before settings exist.
_cipher: Cipher | None = None


def configure(cipher: Cipher) -> None:
    """Set the process-wide cipher used by :class:`EncryptedText` (app factory and CLI)."""
    global _cipher
    _cipher = cipher


def configured() -> Cipher:
    if _cipher is None:
        raise RuntimeError("crypto.configure() has not been called: no data key to use")
    return _cipher


# Contexts of every EncryptedText ever created, to find columns that rotate() would miss.
_declared_contexts: set[str] = set()


class EncryptedText(TypeDecorator[str]):
    """A ``str`` column stored as an AES-GCM blob (``LargeBinary``: BLOB / BYTEA).

    ``None`` stays ``NULL``. Encryption is randomised, so the database cannot compare, sort or
    search these values: ``WHERE text = 'x'`` never matches. Filter on other columns.
    """

    impl = sa.LargeBinary
    cache_ok = True

    def __init__(self, context: str) -> None:
        _aad(context)
        super().__init__()
        self.context = context  # named like the argument: SQLAlchemy's cache key reads it
        _declared_contexts.add(context)

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError(f"{self.context}: expected str, got {type(value).__name__}")
        return configured().encrypt(value, self.context)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return configured().decrypt(bytes(value), self.context)


@dataclass(frozen=True)
class EncryptedColumn:
    """Where :func:`rotate` finds one encrypted column."""

    table: str
    column: str
    context: str
    id_column: str = "id"

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


_registry: dict[str, EncryptedColumn] = {}


def register_column(
    table: str, column: str, context: str, *, id_column: str = "id"
) -> EncryptedColumn:
    """Register an encrypted column for :func:`rotate`; call it next to the model (idempotent)."""
    entry = EncryptedColumn(table, column, context, id_column)
    if _registry.get(entry.name, entry) != entry:
        raise ValueError(f"{entry.name} is already registered differently")
    for other in _registry.values():
        if other.context == context and other.name != entry.name:
            raise ValueError(f"context {context!r} is already used by {other.name}")
    _registry[entry.name] = entry
    return entry


def registered_columns() -> tuple[EncryptedColumn, ...]:
    return tuple(_registry.values())


def unregistered_contexts() -> set[str]:
    """Contexts of EncryptedText columns nobody registered: :func:`rotate` would skip them."""
    return _declared_contexts - {c.context for c in _registry.values()}


def rotate(
    engine: Engine,
    cipher: Cipher,
    columns: Iterable[EncryptedColumn] | None = None,
    *,
    batch_size: int = 500,
) -> dict[str, int]:
    """Re-seal every value not under the current key; counts per ``table.column``.

    ``columns`` defaults to the registry. Each batch is one write transaction, so an interrupted
    run leaves only whole batches done and can simply be run again. Run it after every instance
    has the new ``TRYG_DATA_KEY`` (with the old one in ``TRYG_DATA_KEYS_OLD``); an instance still
    on the old key would keep writing blobs under it.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    # BEGIN IMMEDIATE on SQLite engines from app.db (see db.write_session); ignored elsewhere.
    writer = engine.execution_options(tryg_write=True)
    chosen = registered_columns() if columns is None else tuple(columns)
    return {col.name: _rotate_column(writer, cipher, col, batch_size) for col in chosen}


def _rotate_column(engine: Engine, cipher: Cipher, col: EncryptedColumn, batch_size: int) -> int:
    t = sa.table(col.table, sa.column(col.id_column), sa.column(col.column, sa.LargeBinary))
    ident, value = t.c[col.id_column], t.c[col.column]
    # substr() on BLOB (SQLite) and BYTEA (PostgreSQL) counts bytes; NULL is never stale.
    header = sa.func.substr(value, 1, _KEY_ID_END, type_=sa.LargeBinary)
    stale = header != sa.literal(VERSION + cipher.current_key_id, sa.LargeBinary)
    done = 0
    last: Any = None
    while True:
        query = sa.select(ident, value).where(stale).order_by(ident).limit(batch_size)
        if last is not None:
            query = query.where(ident > last)
        with engine.begin() as conn:
            rows = conn.execute(query).all()
            for row_id, blob in rows:
                try:
                    fresh = cipher.reencrypt(bytes(blob), col.context)
                except DecryptionError as exc:
                    raise DecryptionError(f"{col.name} id {row_id}: {exc}") from None
                # Only if unchanged since read: a concurrent edit is never overwritten.
                result = conn.execute(
                    sa.update(t).where(ident == row_id, value == blob).values({col.column: fresh})
                )
                done += result.rowcount
        if len(rows) < batch_size:
            return done
        last = rows[-1][0]
