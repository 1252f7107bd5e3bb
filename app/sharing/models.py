"""Share codes: how a caseworker asks a victim for a grant (the grant itself is a plan model,
:class:`app.plans.models.Grant`)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.clock import now


class ShareCode(SQLModel, table=True):
    """A short code a caseworker shows in a meeting; the victim types it to grant access."""

    __tablename__ = "share_code"
    id: int | None = Field(default=None, primary_key=True)
    caseworker_id: int = Field(foreign_key="user.id", index=True)
    code_hash: bytes = Field(unique=True)
    created_at: datetime = Field(default_factory=now)
    expires_at: datetime
    used_at: datetime | None = None
