"""The handleplan's part of "Hent alle mine data" and "Slet min konto" (app/rights/parts.py
registers these): who helps in which role, every action with its comments, the meetings and
the legal steps with the date each next step is due. Erasure removes all of it with the plan."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.actions import legal
from app.actions.models import Action, Comment, Helper, LegalStep, Meeting
from app.auth.labels import changer_labels

Row = dict[str, Any]


def _by(names: dict[int, str], user_id: int | None) -> str | None:
    return names.get(user_id) if user_id else None


def export_helpers(session: Session, plan_id: int | None) -> list[Row]:
    rows = session.exec(select(Helper).where(Helper.plan_id == plan_id)).all()
    names = changer_labels(session, {h.caseworker_id for h in rows})
    return [
        {
            "id": h.id,
            "adviser": names.get(h.caseworker_id),
            "role": h.role,
            "how_to_reach": h.reach,
            "changed_at": h.changed_at,
        }
        for h in rows
    ]


def export_actions(session: Session, plan_id: int | None) -> list[Row]:
    rows = session.exec(
        select(Action).where(Action.plan_id == plan_id).order_by(col(Action.id))
    ).all()
    names = changer_labels(
        session,
        {a.who_id for a in rows}
        | {a.created_by_id for a in rows}
        | {a.changed_by_id for a in rows},
    )
    return [
        {
            "id": a.id,
            "what": a.what,
            "who": _by(names, a.who_id) if a.who_id else a.who,
            "due": a.due,
            "status": a.status,
            "note": a.note,
            "meeting": a.meeting_id,
            "added_by": _by(names, a.created_by_id),
            "changed_by": _by(names, a.changed_by_id),
            "changed_at": a.changed_at,
        }
        for a in rows
    ]


def export_comments(session: Session, plan_id: int | None) -> list[Row]:
    rows = session.exec(
        select(Comment).where(Comment.plan_id == plan_id).order_by(col(Comment.id))
    ).all()
    names = changer_labels(session, {c.by_id for c in rows})
    return [
        {"id": c.id, "action": c.action_id, "text": c.text, "by": _by(names, c.by_id), "at": c.at}
        for c in rows
    ]


def export_meetings(session: Session, plan_id: int | None) -> list[Row]:
    rows = session.exec(
        select(Meeting).where(Meeting.plan_id == plan_id).order_by(col(Meeting.at))
    ).all()
    return [
        {
            "id": m.id,
            "at": m.at,
            "by_phone": m.by_phone,
            "place": m.place,
            "who_took_part": m.attendees,
        }
        for m in rows
    ]


def export_steps(session: Session, plan_id: int | None) -> list[Row]:
    rows = session.exec(
        select(LegalStep).where(LegalStep.plan_id == plan_id).order_by(col(LegalStep.id))
    ).all()
    return [
        {
            "id": s.id,
            "step": s.kind,
            "began": s.started,
            "ends": s.ends,
            "next_step_due": legal.next_due(s.kind, s.started, s.ends),
            "journal_number_or_note": s.reference,
        }
        for s in rows
    ]


def erase(session: Session, plan_id: int) -> None:
    """Everything of the handleplan, before the plan itself goes."""
    for model in (Comment, Action, Meeting, LegalStep, Helper):
        session.execute(delete(model).where(col(model.plan_id) == plan_id))
