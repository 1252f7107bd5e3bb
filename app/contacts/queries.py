"""Reading and changing contacts and hotlines. Writes are conditional on the version seen.

The contacts page costs a bounded number of queries: the access check, the contacts of the plan
(indexed by plan), the organisations granted the plan, their hotlines, the people who changed
something.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.auth.models import Organisation, User
from app.clock import now
from app.contacts.models import Contact, Hotline
from app.ordering import next_position, swap
from app.plans.models import Grant
from app.versions import conditional_update

# A deleted contact can be brought back for this long; after that it is removed for good (the
# next write on the plan's contacts purges it), so no encrypted copy lingers.
UNDO_WINDOW = timedelta(minutes=30)


@dataclass(frozen=True)
class OrgLines:
    organisation: Organisation
    lines: list[Hotline]


# ---------------------------------------------------------------- contacts


def load(session: Session, plan_id: int) -> list[Contact]:
    return list(
        session.exec(
            select(Contact)
            .where(Contact.plan_id == plan_id, col(Contact.deleted_at).is_(None))
            .order_by(col(Contact.position), col(Contact.id))
        ).all()
    )


def undoable(contact: Contact | None) -> bool:
    return (
        contact is not None
        and contact.deleted_at is not None
        and contact.deleted_at >= now() - UNDO_WINDOW
    )


def purge_expired(session: Session, plan_id: int) -> None:
    """Remove contacts deleted longer ago than the undo window, for good."""
    session.execute(
        delete(Contact).where(
            col(Contact.plan_id) == plan_id,
            col(Contact.deleted_at).is_not(None),
            col(Contact.deleted_at) < now() - UNDO_WINDOW,
        )
    )


def add_contact(session: Session, plan_id: int, values: dict[str, Any], by: User) -> Contact:
    purge_expired(session, plan_id)
    # Deleted rows count too: an undone contact must not share a position with a new one.
    contact = Contact(
        plan_id=plan_id,
        position=next_position(session, Contact.position, col(Contact.plan_id) == plan_id),
        changed_by_id=by.id,
        **values,
    )
    session.add(contact)
    session.flush()
    return contact


def edit_contact(
    session: Session, contact: Contact, seen_version: int, values: dict[str, Any], by: User
) -> Contact:
    return conditional_update(session, contact, seen_version, by, **values)


def delete_contact(session: Session, contact: Contact, seen_version: int, by: User) -> Contact:
    purge_expired(session, contact.plan_id)
    return conditional_update(session, contact, seen_version, by, deleted_at=now())


def restore_contact(
    session: Session, contact: Contact, seen_version: int, by: User, alarm: bool
) -> Contact:
    """Back where it was (its old position), with a new version; conditional like every write,
    on the version seen and on the contact still being deleted. ``alarm``: whether it gets the
    alarm again (only the victim's own undo keeps it)."""
    return conditional_update(
        session, contact, seen_version, by, restore=True, deleted_at=None, alarm=alarm
    )


def move_contact(
    session: Session, contact: Contact, seen_version: int, direction: int, by: User
) -> Contact:
    """Swap with the neighbour above (-1) or below (+1) among the contacts shown."""
    return swap(session, load(session, contact.plan_id), contact, seen_version, direction, by)


# ---------------------------------------------------------------- hotlines


def granted_hotlines(session: Session, plan_id: int) -> list[OrgLines]:
    """The lines of every organisation with a caseworker currently granted this plan."""
    org_ids = set(
        session.exec(
            select(User.organisation_id)
            .join(Grant, col(Grant.caseworker_id) == col(User.id))
            .where(
                Grant.plan_id == plan_id,
                col(Grant.revoked_at).is_(None),
                col(User.disabled).is_(False),
                col(User.organisation_id).is_not(None),
            )
        ).all()
    )
    if not org_ids:
        return []
    rows = session.exec(
        select(Hotline, Organisation)
        .join(Organisation, col(Organisation.id) == col(Hotline.organisation_id))
        .where(col(Hotline.organisation_id).in_(org_ids))
        .order_by(col(Organisation.name), col(Hotline.position), col(Hotline.id))
    ).all()
    grouped: dict[int, OrgLines] = {}
    for line, org in rows:
        grouped.setdefault(org.id, OrgLines(org, [])).lines.append(line)  # type: ignore[arg-type]
    return list(grouped.values())


def org_hotlines(session: Session, organisation_id: int) -> list[Hotline]:
    return list(
        session.exec(
            select(Hotline)
            .where(Hotline.organisation_id == organisation_id)
            .order_by(col(Hotline.position), col(Hotline.id))
        ).all()
    )


def add_hotline(session: Session, organisation_id: int, name: str, phone: str, by: User) -> Hotline:
    where = col(Hotline.organisation_id) == organisation_id
    line = Hotline(
        organisation_id=organisation_id,
        name=name,
        phone=phone,
        position=next_position(session, Hotline.position, where),
        changed_by_id=by.id,
    )
    session.add(line)
    session.flush()
    return line
