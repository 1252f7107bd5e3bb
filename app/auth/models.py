"""Users. Further auth tables (passkeys, sessions, enrolment codes) live beside this one."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.clock import now


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
    display_name: str = Field(max_length=100)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    locale: str | None = Field(default=None, max_length=5)
    disabled: bool = False
    webauthn_user_handle: bytes = Field(default_factory=new_user_handle, unique=True)
    password_hash: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=now)
