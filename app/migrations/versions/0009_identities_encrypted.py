"""Identities sealed at rest (issue 12 point 11): names, user names, passkey nicknames.

- ``user.display_name``, ``user.username`` and ``passkey.nickname`` become ``LargeBinary``
  holding AES-GCM blobs (contexts ``user.display_name``, ``user.username``,
  ``passkey.nickname``, as the models declare them); existing rows are sealed here.
- ``user.username_hash``: HMAC-SHA256 of the user name keyed with ``TRYG_SECRET_KEY``, unique;
  sign-in looks the name up through it (app/auth/identity.py). Replaces ``uq_user_username``.

The keys come from the process-wide cipher, configured from the settings before migrations run
(app/main.py and app/__main__.py), exactly as the app's own columns get them. On SQLite the old
tables' pages are zeroed as they are freed (``secure_delete``) and :func:`app.db.migrate`
truncates the write-ahead log afterwards, so the clear names do not linger in the file. On
PostgreSQL the old row versions stay in the table files until VACUUM (README).

Revision ID: 0009
Revises: 0008
"""

import hashlib
import hmac

import sqlalchemy as sa
from alembic import op

from app import crypto

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

USER = sa.table(
    "user",
    sa.column("id", sa.Integer),
    sa.column("display_name", sa.String),
    sa.column("username", sa.String),
    sa.column("display_name_sealed", sa.LargeBinary),
    sa.column("username_sealed", sa.LargeBinary),
    sa.column("username_hash", sa.LargeBinary),
    sa.column("display_name_plain", sa.String),
    sa.column("username_plain", sa.String),
)
PASSKEY = sa.table(
    "passkey",
    sa.column("id", sa.Integer),
    sa.column("nickname", sa.String),
    sa.column("nickname_sealed", sa.LargeBinary),
    sa.column("nickname_plain", sa.String),
)


def _username_key(secret: str, name: str) -> bytes:
    """As app.auth.identity.username_key at this revision (frozen here on purpose)."""
    return hmac.new(
        secret.encode(), b"tryg username\x00" + name.encode("utf-8"), hashlib.sha256
    ).digest()


def _zero_freed_pages() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA secure_delete = ON")


def upgrade() -> None:
    _zero_freed_pages()
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("display_name_sealed", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("username_sealed", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("username_hash", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("passkey") as batch:
        batch.add_column(sa.Column("nickname_sealed", sa.LargeBinary(), nullable=True))

    conn = op.get_bind()
    users = conn.execute(sa.select(USER.c.id, USER.c.display_name, USER.c.username)).all()
    keys = conn.execute(sa.select(PASSKEY.c.id, PASSKEY.c.nickname)).all()
    if users or keys:
        cipher = crypto.configured()
        secret = cipher.lookup_secret
        if secret is None and any(name for _id, _dn, name in users):
            raise RuntimeError("0009: the cipher has no lookup secret (TRYG_SECRET_KEY)")
        for user_id, display_name, username in users:
            values = {"display_name_sealed": cipher.encrypt(display_name, "user.display_name")}
            if username:
                values["username_sealed"] = cipher.encrypt(username, "user.username")
                values["username_hash"] = _username_key(secret, username)  # type: ignore[arg-type]
            conn.execute(sa.update(USER).where(USER.c.id == user_id).values(values))
        for key_id, nickname in keys:
            sealed = cipher.encrypt(nickname or "", "passkey.nickname")
            conn.execute(
                sa.update(PASSKEY).where(PASSKEY.c.id == key_id).values(nickname_sealed=sealed)
            )

    with op.batch_alter_table("user") as batch:
        batch.drop_constraint("uq_user_username", type_="unique")
        batch.drop_column("display_name")
        batch.drop_column("username")
        batch.alter_column(
            "display_name_sealed",
            new_column_name="display_name",
            existing_type=sa.LargeBinary(),
            nullable=False,
        )
        batch.alter_column(
            "username_sealed", new_column_name="username", existing_type=sa.LargeBinary()
        )
        batch.create_unique_constraint("uq_user_username_hash", ["username_hash"])
    with op.batch_alter_table("passkey") as batch:
        batch.drop_column("nickname")
        batch.alter_column(
            "nickname_sealed",
            new_column_name="nickname",
            existing_type=sa.LargeBinary(),
            nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("display_name_plain", sa.String(100), nullable=True))
        batch.add_column(sa.Column("username_plain", sa.String(60), nullable=True))
    with op.batch_alter_table("passkey") as batch:
        batch.add_column(sa.Column("nickname_plain", sa.String(60), nullable=True))

    conn = op.get_bind()
    users = conn.execute(sa.select(USER.c.id, USER.c.display_name, USER.c.username)).all()
    keys = conn.execute(sa.select(PASSKEY.c.id, PASSKEY.c.nickname)).all()
    if users or keys:
        cipher = crypto.configured()
        for user_id, display_name, username in users:
            values = {
                "display_name_plain": cipher.decrypt(bytes(display_name), "user.display_name"),
                "username_plain": (
                    cipher.decrypt(bytes(username), "user.username") if username else None
                ),
            }
            conn.execute(sa.update(USER).where(USER.c.id == user_id).values(values))
        for key_id, nickname in keys:
            plain = cipher.decrypt(bytes(nickname), "passkey.nickname")
            conn.execute(
                sa.update(PASSKEY).where(PASSKEY.c.id == key_id).values(nickname_plain=plain)
            )

    with op.batch_alter_table("passkey") as batch:
        batch.drop_column("nickname")
        batch.alter_column(
            "nickname_plain",
            new_column_name="nickname",
            existing_type=sa.String(60),
            nullable=False,
        )
    with op.batch_alter_table("user") as batch:
        batch.drop_constraint("uq_user_username_hash", type_="unique")
        batch.drop_column("username_hash")
        batch.drop_column("display_name")
        batch.drop_column("username")
        batch.alter_column(
            "display_name_plain",
            new_column_name="display_name",
            existing_type=sa.String(100),
            nullable=False,
        )
        batch.alter_column(
            "username_plain", new_column_name="username", existing_type=sa.String(60)
        )
    with op.batch_alter_table("user") as batch:  # in the same batch as the rename, it is lost
        batch.create_unique_constraint("uq_user_username", ["username"])
