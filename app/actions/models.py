"""The agreed actions across agencies (docs/design.md §11): who helps in a case and in which
role, what was agreed (what, who, by when, status), the meetings where it was agreed, and the
legal steps with the dates that must not be missed. The victim sees all of it.

Everything anyone writes is encrypted at rest (``EncryptedText``); dates, statuses, roles and
kinds stay in clear, so the due list is sorted in SQL. Every editable row has a ``version``: a
write names the version it saw and changes nothing when another write came first.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.clock import now
from app.crypto import EncryptedText, register_column

MAX_WHAT = 200
MAX_NOTE = 500
MAX_LINE = 100


def _text(context: str) -> Column:
    return Column(EncryptedText(context), nullable=False)


class CaseRole(StrEnum):
    """A granted caseworker's role in this case (the Esbjerg model's names)."""

    visitator = "visitator"  # stalkingvisitator
    coordinator = "coordinator"  # koordinator (tovholder)
    contact = "contact"  # fast kontaktperson
    police = "police"  # politi
    dsc = "dsc"  # Dansk Stalking Center
    other = "other"  # andet


class Status(StrEnum):
    agreed = "agreed"  # aftalt
    started = "started"  # i gang
    done = "done"  # gjort
    dropped = "dropped"  # droppet


OPEN = (Status.agreed, Status.started)


class Who(StrEnum):
    """Who does it: the victim herself, one caseworker (``who_id``), or an agency."""

    victim = "victim"
    caseworker = "caseworker"
    police = "police"
    kommune = "kommune"
    dsc = "dsc"
    other = "other"


class Helper(SQLModel, table=True):
    """A granted caseworker's role in one case, and how the victim reaches them."""

    __tablename__ = "case_helper"
    __table_args__ = (UniqueConstraint("plan_id", "caseworker_id"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    caseworker_id: int = Field(foreign_key="user.id", index=True)
    role: str = Field(default=CaseRole.other, max_length=12)
    reach: str = Field(default="", sa_column=_text("case_helper.reach"))
    version: int = 1
    changed_by_id: int | None = Field(default=None, foreign_key="user.id")
    changed_at: datetime = Field(default_factory=now)


class Meeting(SQLModel, table=True):
    """When, where (or on the phone), who took part; what was agreed is the actions linked to
    it. The next meeting is the first one still to come."""

    __tablename__ = "case_meeting"
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    at: datetime = Field(index=True)
    by_phone: bool = False
    place: str = Field(default="", sa_column=_text("case_meeting.place"))
    attendees: str = Field(default="", sa_column=_text("case_meeting.attendees"))
    version: int = 1
    changed_by_id: int | None = Field(default=None, foreign_key="user.id")
    changed_at: datetime = Field(default_factory=now)


class Action(SQLModel, table=True):
    __tablename__ = "case_action"
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    what: str = Field(sa_column=_text("case_action.what"))
    who: str = Field(default=Who.victim, max_length=12)
    who_id: int | None = Field(default=None, foreign_key="user.id")
    due: date | None = Field(default=None, index=True)
    status: str = Field(default=Status.agreed, max_length=8)
    note: str = Field(default="", sa_column=_text("case_action.note"))
    meeting_id: int | None = Field(default=None, foreign_key="case_meeting.id")
    version: int = 1
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=now)
    changed_by_id: int | None = Field(default=None, foreign_key="user.id")
    changed_at: datetime = Field(default_factory=now)


class Comment(SQLModel, table=True):
    """A word on an action (the victim's, or anyone's): added, never edited."""

    __tablename__ = "case_action_comment"
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    action_id: int = Field(foreign_key="case_action.id", index=True)
    text: str = Field(sa_column=_text("case_action_comment.text"))
    by_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = Field(default_factory=now)


class LegalStep(SQLModel, table=True):
    """One legal step (app/actions/legal.py names the kinds and computes when the next step is
    due): the date it began (reported, issued, asked for), an end the decision gave, the
    journal number or a short note."""

    __tablename__ = "case_legal_step"
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    kind: str = Field(max_length=24)
    started: date | None = None
    ends: date | None = None
    reference: str = Field(default="", sa_column=_text("case_legal_step.reference"))
    version: int = 1
    changed_by_id: int | None = Field(default=None, foreign_key="user.id")
    changed_at: datetime = Field(default_factory=now)


register_column("case_helper", "reach", "case_helper.reach")
register_column("case_meeting", "place", "case_meeting.place")
register_column("case_meeting", "attendees", "case_meeting.attendees")
register_column("case_action", "what", "case_action.what")
register_column("case_action", "note", "case_action.note")
register_column("case_action_comment", "text", "case_action_comment.text")
register_column("case_legal_step", "reference", "case_legal_step.reference")
