"""Who may see a plan: grants the victim gives and takes back."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.clock import now


class Grant(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    caseworker_id: int = Field(foreign_key="user.id", index=True)
    granted_by_id: int | None = Field(default=None, foreign_key="user.id")
    granted_at: datetime = Field(default_factory=now)
    revoked_by_id: int | None = Field(default=None, foreign_key="user.id")
    revoked_at: datetime | None = None


class ShareCode(SQLModel, table=True):
    """A short code a caseworker shows in a meeting; the victim types it to grant access."""

    __tablename__ = "share_code"
    id: int | None = Field(default=None, primary_key=True)
    caseworker_id: int = Field(foreign_key="user.id", index=True)
    code_hash: bytes = Field(unique=True)
    created_at: datetime = Field(default_factory=now)
    expires_at: datetime
    used_at: datetime | None = None
