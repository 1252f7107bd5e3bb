"""The safety plan: one per victim, sections in crisis order, items to complete or tick.

Text is encrypted at rest (``EncryptedText``). Every editable row has a ``version``: a write
names the version it saw and changes nothing when another write came first.

A :class:`Grant` says which caseworker may see a plan (the victim gives it and takes it back):
who may see a plan is part of the plan.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from app.clock import now
from app.crypto import EncryptedText, register_column

MAX_TEXT = 500
MAX_TITLE = 100


class Plan(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    victim_id: int = Field(foreign_key="user.id", unique=True)
    created_at: datetime = Field(default_factory=now)


class Section(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    template_key: str | None = Field(default=None, max_length=40)
    title: str = Field(sa_column=Column(EncryptedText("section.title"), nullable=False))
    position: int = 0
    review_by: date | None = None
    version: int = 1
    changed_by_id: int | None = Field(default=None, foreign_key="user.id")
    changed_at: datetime = Field(default_factory=now)


class Item(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    section_id: int = Field(foreign_key="section.id", index=True)
    text: str = Field(sa_column=Column(EncryptedText("item.text"), nullable=False))
    done: bool = False
    position: int = 0
    version: int = 1
    changed_by_id: int | None = Field(default=None, foreign_key="user.id")
    changed_at: datetime = Field(default_factory=now)
    deleted_at: datetime | None = None


register_column("section", "title", "section.title")
register_column("item", "text", "item.text")


class OrgTemplate(SQLModel, table=True):
    """An organisation's own copy of the plan template (JSON of ``template.as_json``).

    Not personal data: stored in clear. A new plan copies the template of the organisation of
    the caseworker who creates the account; without a copy, the default template is used.
    """

    __tablename__ = "org_template"
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", unique=True)
    data: str
    version: int = 1
    changed_by_id: int | None = Field(default=None, foreign_key="user.id")
    changed_at: datetime = Field(default_factory=now)


class Grant(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    caseworker_id: int = Field(foreign_key="user.id", index=True)
    granted_by_id: int | None = Field(default=None, foreign_key="user.id")
    granted_at: datetime = Field(default_factory=now)
    revoked_by_id: int | None = Field(default=None, foreign_key="user.id")
    revoked_at: datetime | None = None
