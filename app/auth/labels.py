"""How people are named beside what they changed: "Anna, Esbjerg Lokalpoliti" for a caseworker,
the display name alone for the victim. Used by plans, contacts, presence and the account log."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.auth.models import Organisation, User


def changer_labels(session: Session, ids: set[int | None]) -> dict[int, str]:
    """ "Anna, Esbjerg Lokalpoliti" for caseworkers, the display name for the victim."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(
        select(User, Organisation)
        .join(Organisation, col(Organisation.id) == col(User.organisation_id), isouter=True)
        .where(col(User.id).in_(wanted))
    ).all()
    return {
        user.id: f"{user.display_name}, {org.name}" if org else user.display_name  # type: ignore[misc]
        for user, org in rows
    }
