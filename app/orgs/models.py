"""Organisations of the Esbjerg project (police, kommune, Dansk Stalking Center, others)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.clock import now


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
