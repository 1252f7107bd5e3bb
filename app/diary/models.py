"""The stalking log (docs/design.md §7): entries in the shape of Dansk Stalking Center's
*logskema*, the earlier versions of every edited entry, and the evidence (bilag).

Everything she writes is encrypted at rest (``EncryptedText``). When something happened
(``happened_at``) stays in clear: the list is sorted and filtered by it in SQL, and a time alone
says nothing of what happened. An edit never overwrites silently: the text it replaces is kept
as a :class:`DiaryVersion`. A delete only sets ``deleted_at`` (undo brings the entry back; a
deleted entry is never exported).

A bilag's bytes are stored in the database, encrypted, in chunks (:class:`EvidenceChunk`, base64
inside ``EncryptedText``): one backup holds everything, the data key and its rotation cover the
files too, and a file is read and streamed one chunk at a time (bounded memory).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.clock import now
from app.crypto import EncryptedText, register_column

MAX_WHAT = 5000
MAX_TEXT = 1000
MAX_LINE = 100
# The fields of an entry besides its time, in the order of the form and the export.
TEXT_FIELDS = ("what", "place", "effect", "witnesses", "journal", "officer")


def _text(context: str) -> Column:
    return Column(EncryptedText(context), nullable=False)


class DiaryEntry(SQLModel, table=True):
    __tablename__ = "diary_entry"
    id: int | None = Field(default=None, primary_key=True)
    victim_id: int = Field(foreign_key="user.id", index=True)
    happened_at: datetime = Field(index=True)
    what: str = Field(sa_column=_text("diary_entry.what"))
    place: str = Field(default="", sa_column=_text("diary_entry.place"))
    effect: str = Field(default="", sa_column=_text("diary_entry.effect"))
    witnesses: str = Field(default="", sa_column=_text("diary_entry.witnesses"))
    journal: str = Field(default="", sa_column=_text("diary_entry.journal"))
    officer: str = Field(default="", sa_column=_text("diary_entry.officer"))
    key_example: bool = False
    leave_out: bool = False
    shared: bool = False  # chosen for her caseworkers (when she shares chosen entries)
    version: int = 1
    created_at: datetime = Field(default_factory=now)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    changed_at: datetime = Field(default_factory=now)
    changed_by_id: int | None = Field(default=None, foreign_key="user.id")
    deleted_at: datetime | None = None


class Share(StrEnum):
    none = "none"
    all = "all"
    chosen = "chosen"


class DiaryShare(SQLModel, table=True):
    """Whether her granted caseworkers see the log: none (the default), every entry, or the
    entries she chose (``DiaryEntry.shared``)."""

    __tablename__ = "diary_share"
    victim_id: int = Field(foreign_key="user.id", primary_key=True)
    mode: str = Field(default=Share.none, max_length=6)
    changed_at: datetime = Field(default_factory=now)


class DiaryVersion(SQLModel, table=True):
    """An entry as it was before an edit (JSON of its fields, encrypted), and who replaced it
    when."""

    __tablename__ = "diary_version"
    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="diary_entry.id", index=True)
    version: int
    data: str = Field(sa_column=_text("diary_version.data"))
    replaced_at: datetime = Field(default_factory=now)
    replaced_by_id: int | None = Field(default=None, foreign_key="user.id")


class Evidence(SQLModel, table=True):
    """A bilag: numbered per victim (Bilag 1, 2, …). ``sha256`` and ``size`` are of the file as
    uploaded, so whoever receives it can check that nothing changed."""

    __tablename__ = "diary_evidence"
    __table_args__ = (UniqueConstraint("victim_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    victim_id: int = Field(foreign_key="user.id", index=True)
    number: int
    entry_id: int | None = Field(default=None, foreign_key="diary_entry.id", index=True)
    description: str = Field(sa_column=_text("diary_evidence.description"))
    original: str = Field(default="", sa_column=_text("diary_evidence.original"))
    kind: str = Field(max_length=4)  # jpeg, png, heic, pdf: from the file's first bytes
    size: int
    sha256: str = Field(max_length=64)
    has_position: bool = False
    uploaded_at: datetime = Field(default_factory=now)
    uploaded_by_id: int | None = Field(default=None, foreign_key="user.id")


class EvidenceChunk(SQLModel, table=True):
    __tablename__ = "diary_evidence_chunk"
    id: int | None = Field(default=None, primary_key=True)
    evidence_id: int = Field(foreign_key="diary_evidence.id", index=True)
    seq: int
    data: str = Field(sa_column=_text("diary_evidence_chunk.data"))  # base64 of the bytes


for _field in TEXT_FIELDS:
    register_column("diary_entry", _field, f"diary_entry.{_field}")
register_column("diary_version", "data", "diary_version.data")
register_column("diary_evidence", "description", "diary_evidence.description")
register_column("diary_evidence", "original", "diary_evidence.original")
register_column("diary_evidence_chunk", "data", "diary_evidence_chunk.data")
