"""Accounts: users and the organisations they belong to (police, kommune, Dansk Stalking
Center, others). Further auth tables (passkeys, sessions, enrolment codes) live beside them.

Names, user names and passkey nicknames are sealed at rest; see app/auth/identity.py.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from app.clock import now
from app.crypto import EncryptedText, register_column


class OrgKind(StrEnum):
    politi = "politi"
    kommune = "kommune"
    stalkingcenter = "stalkingcenter"
    andet = "andet"


class Organisation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=20, default=OrgKind.andet)
    created_at: datetime = Field(default_factory=now)


class Role(StrEnum):
    victim = "victim"
    caseworker = "caseworker"
    org_admin = "org_admin"


def new_user_handle() -> bytes:
    """WebAuthn user handle: random, never derived from a name (it is stored in the passkey)."""
    return secrets.token_bytes(32)


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    role: str = Field(max_length=20, index=True)
    display_name: str = Field(sa_column=Column(EncryptedText("user.display_name"), nullable=False))
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    locale: str | None = Field(default=None, max_length=5)
    disabled: bool = False
    webauthn_user_handle: bytes = Field(default_factory=new_user_handle, unique=True)
    # The password fallback signs in with a user name the user chose (no e-mail exists here),
    # found through its keyed hash; set both with app.auth.identity.set_username.
    username: str | None = Field(
        default=None, sa_column=Column(EncryptedText("user.username"), nullable=True)
    )
    username_hash: bytes | None = Field(default=None, unique=True)
    password_hash: str | None = Field(default=None, max_length=255)
    enrolled_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=now)
    # The victim's own choices (issue 8 quick exit, issue 7 phone): a beacon ends the session on
    # quick exit; the installed app's neutral name and icon (None = the default).
    exit_signs_out: bool = False
    exit_shift: bool = True  # Shift pressed three times leaves (the button always does)
    disguise: str | None = Field(default=None, max_length=20)
    # "Slet min konto" (app/rights/): a tombstone from then on, no name, no way in (0016).
    erased_at: datetime | None = None


class Passkey(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    credential_id: bytes = Field(unique=True)
    public_key: bytes
    # WebAuthn's counter is 32-bit unsigned (up to 2³²−1): 64-bit column (migration 0010).
    sign_count: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    transports: str = Field(default="", max_length=200)
    backup_eligible: bool = False
    backed_up: bool = False
    nickname: str = Field(
        default="", sa_column=Column(EncryptedText("passkey.nickname"), nullable=False)
    )
    created_at: datetime = Field(default_factory=now)
    last_used_at: datetime | None = None
    # Registered with a code that the issuer has not confirmed yet: unusable until then.
    pending_code_id: int | None = Field(default=None, foreign_key="enrolment_code.id")


register_column("user", "display_name", "user.display_name")
register_column("user", "username", "user.username")
register_column("passkey", "nickname", "passkey.nickname")


class AuthSession(SQLModel, table=True):
    """A server-side session. Only a hash of the cookie value is stored."""

    __tablename__ = "auth_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: bytes = Field(unique=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    device: str = Field(default="", max_length=80)
    created_at: datetime = Field(default_factory=now)
    last_seen_at: datetime = Field(default_factory=now)
    expires_at: datetime
    # "passkey" or "password". Only a passkey check sets verified_at (see sessions.is_fresh).
    method: str = Field(default="passkey", max_length=20)
    verified_at: datetime | None = None
    ended_at: datetime | None = None
    # Account notices up to this moment were dismissed on this device.
    notices_seen_at: datetime | None = None


class EnrolmentCode(SQLModel, table=True):
    """A one-time code handed over in a meeting; redeemed on the user's own device."""

    __tablename__ = "enrolment_code"
    id: int | None = Field(default=None, primary_key=True)
    code_hash: bytes = Field(unique=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=now)
    expires_at: datetime
    used_at: datetime | None = None
    revoke_old: bool = False
    # enrol (new victim), device (another phone), recover (lost phone), staff (admin's code).
    purpose: str = Field(default="enrol", max_length=20)
    # The meeting handshake: the new phone redeems the code and shows a confirmation; the
    # issuer types it on their own screen; only then is the passkey usable.
    redeemed_at: datetime | None = None
    confirmation_hash: bytes | None = None
    confirmed_at: datetime | None = None
    confirm_failures: int = 0
    voided_at: datetime | None = None


class Challenge(SQLModel, table=True):
    """A WebAuthn challenge: server-side, single use, five minutes."""

    id: int | None = Field(default=None, primary_key=True)
    handle: str = Field(unique=True, max_length=64)
    challenge: bytes
    purpose: str = Field(max_length=20)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    enrolment_code_id: int | None = Field(default=None, foreign_key="enrolment_code.id")
    created_at: datetime = Field(default_factory=now)
    expires_at: datetime
    used_at: datetime | None = None


class Draft(SQLModel, table=True):
    """What someone typed into a plan or contact form when her session had just ended (issue 14
    point 6): the form's fields as JSON, sealed with the data key, kept for the same user until
    she uses or discards it after signing in again (app/auth/drafts.py). Never on the phone."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    path: str = Field(max_length=200)  # where the form was sent
    fields: str = Field(sa_column=Column(EncryptedText("draft.fields"), nullable=False))
    created_at: datetime = Field(default_factory=now)


register_column("draft", "fields", "draft.fields")
