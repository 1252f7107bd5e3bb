"""Emergency contacts of a plan, and the hotlines an organisation shows to the victims it serves.

A contact is personal data: every text column is encrypted at rest (``EncryptedText``). The phone
number is stored normalised (E.164, e.g. ``+4512345678``). A hotline is an organisation's public
line, not personal, and stays plaintext. Every editable row has a ``version``: a write names the
version it saw and changes nothing when another write came first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from app.clock import now
from app.crypto import EncryptedText, register_column

MAX_NAME = 100
MAX_RELATION = 100
MAX_KNOWS = 500
MAX_CODE_WORD = 100
MAX_PHONE_INPUT = 40  # what a person may type; stored E.164 is at most 16 characters


class Contact(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    name: str = Field(sa_column=Column(EncryptedText("contact.name"), nullable=False))
    relation: str = Field(
        default="", sa_column=Column(EncryptedText("contact.relation"), nullable=False)
    )
    phone: str = Field(sa_column=Column(EncryptedText("contact.phone"), nullable=False))
    knows: str = Field(default="", sa_column=Column(EncryptedText("contact.knows"), nullable=False))
    code_word: str = Field(
        default="", sa_column=Column(EncryptedText("contact.code_word"), nullable=False)
    )
    position: int = 0
    alarm: bool = False
    version: int = 1
    changed_by_id: int | None = Field(default=None, foreign_key="user.id")
    changed_at: datetime = Field(default_factory=now)
    deleted_at: datetime | None = None


class Hotline(SQLModel, table=True):
    """A line an organisation admin sets, e.g. "Dansk Stalking Center, rådgivning"."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=MAX_NAME)
    phone: str = Field(max_length=20)  # E.164
    position: int = 0
    version: int = 1
    changed_by_id: int | None = Field(default=None, foreign_key="user.id")
    changed_at: datetime = Field(default_factory=now)


register_column("contact", "name", "contact.name")
register_column("contact", "relation", "contact.relation")
register_column("contact", "phone", "contact.phone")
register_column("contact", "knows", "contact.knows")
register_column("contact", "code_word", "contact.code_word")
