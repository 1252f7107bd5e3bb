"""The log's part of "Hent alle mine data" and "Slet min konto" (app/rights/parts.py registers
these): every entry with its earlier versions, the bilag list (not the files: they are hers to
open one by one on /diary), and whether she shares the log. Erasure removes all of it, the
files' encrypted pieces first."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.auth.labels import changer_labels
from app.auth.models import User
from app.diary.models import (
    TEXT_FIELDS,
    DiaryEntry,
    DiaryShare,
    DiaryVersion,
    Evidence,
    EvidenceChunk,
)

Row = dict[str, Any]


def _entries(session: Session, user: User) -> list[DiaryEntry]:
    return list(
        session.exec(
            select(DiaryEntry)
            .where(DiaryEntry.victim_id == user.id)
            .order_by(col(DiaryEntry.happened_at).desc())
        ).all()
    )


def export_entries(session: Session, user: User) -> list[Row]:
    rows = _entries(session, user)
    names = changer_labels(session, {e.created_by_id for e in rows})
    return [
        {
            "id": e.id,
            "happened_at": e.happened_at,
            **{name: getattr(e, name) for name in TEXT_FIELDS},
            "key_example": e.key_example,
            "left_out_of_exports": e.leave_out,
            "written_by": names.get(e.created_by_id) if e.created_by_id else None,
            "changed_at": e.changed_at,
            "deleted_at": e.deleted_at,
        }
        for e in rows
    ]


def export_versions(session: Session, user: User) -> list[Row]:
    entry_ids = select(DiaryEntry.id).where(DiaryEntry.victim_id == user.id)
    rows = session.exec(
        select(DiaryVersion)
        .where(col(DiaryVersion.entry_id).in_(entry_ids))
        .order_by(col(DiaryVersion.entry_id), col(DiaryVersion.version))
    ).all()
    names = changer_labels(session, {v.replaced_by_id for v in rows})
    return [
        {
            "id": v.id,
            "entry": v.entry_id,
            "text_before": json.loads(v.data),
            "replaced_at": v.replaced_at,
            "replaced_by": names.get(v.replaced_by_id) if v.replaced_by_id else None,
        }
        for v in rows
    ]


def export_evidence(session: Session, user: User) -> list[Row]:
    rows = session.exec(
        select(Evidence).where(Evidence.victim_id == user.id).order_by(col(Evidence.number))
    ).all()
    return [
        {
            "id": b.id,
            "number": b.number,
            "description": b.description,
            "original_kept": b.original,
            "kind": b.kind,
            "bytes": b.size,
            "sha256": b.sha256,
            "carries_a_position": b.has_position,
            "uploaded_at": b.uploaded_at,
            "entry": b.entry_id,
        }
        for b in rows
    ]


def export_sharing(session: Session, user: User) -> list[Row]:
    row = session.get(DiaryShare, user.id)
    return (
        [] if row is None else [{"id": user.id, "shared": row.mode, "changed_at": row.changed_at}]
    )


def erase(session: Session, user: User) -> None:
    evidence_ids = select(Evidence.id).where(Evidence.victim_id == user.id)
    entry_ids = select(DiaryEntry.id).where(DiaryEntry.victim_id == user.id)
    session.execute(delete(EvidenceChunk).where(col(EvidenceChunk.evidence_id).in_(evidence_ids)))
    session.execute(delete(Evidence).where(col(Evidence.victim_id) == user.id))
    session.execute(delete(DiaryVersion).where(col(DiaryVersion.entry_id).in_(entry_ids)))
    session.execute(delete(DiaryEntry).where(col(DiaryEntry.victim_id) == user.id))
    session.execute(delete(DiaryShare).where(col(DiaryShare.victim_id) == user.id))
