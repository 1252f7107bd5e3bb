"""Reading and changing a plan. Writes are conditional on the version the writer saw.

A plan page costs a bounded number of queries whatever the size of the database: the plan,
its sections, its items (indexed by plan), the access check.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app.auth.models import User
from app.clock import now
from app.plans import template as tpl
from app.plans.models import Grant, Item, OrgTemplate, Plan, Section
from app.versions import StaleWrite, conditional_update


@dataclass
class SectionView:
    section: Section
    items: list[Item] = field(default_factory=list)


def create_plan(
    session: Session,
    victim: User,
    template: tuple[tpl.TemplateSection, ...],
    locale: str,
    by: User | None,
) -> Plan:
    """A new plan from an organisation's template, in the victim's language; the enrolling
    caseworker gets the first grant."""
    plan = Plan(victim_id=victim.id)  # type: ignore[arg-type]
    session.add(plan)
    session.flush()
    by_id = by.id if by else None
    for position, spec in enumerate(template):
        section = Section(
            plan_id=plan.id,
            template_key=spec.key,  # type: ignore[arg-type]
            title=tpl.section_title(spec, locale),
            position=position,
            changed_by_id=by_id,
        )
        session.add(section)
        session.flush()
        for item_position, item in enumerate(spec.items):
            session.add(
                Item(
                    plan_id=plan.id,
                    section_id=section.id,  # type: ignore[arg-type]
                    text=tpl.item_text(item, locale),
                    position=item_position,
                    changed_by_id=by_id,
                )
            )
    if by is not None and by.role == "caseworker":
        session.add(Grant(plan_id=plan.id, caseworker_id=by.id, granted_by_id=by.id))  # type: ignore[arg-type]
    return plan


def template_for(session: Session, organisation_id: int | None) -> tuple[tpl.TemplateSection, ...]:
    """The organisation's own template, or the default one."""
    if organisation_id is not None:
        row = session.exec(
            select(OrgTemplate).where(OrgTemplate.organisation_id == organisation_id)
        ).first()
        if row is not None:
            return tpl.from_json(json.loads(row.data))
    return tpl.DEFAULT_TEMPLATE


def plan_of(session: Session, victim_id: int) -> Plan | None:
    return session.exec(select(Plan).where(Plan.victim_id == victim_id)).first()


def load(session: Session, plan_id: int) -> list[SectionView]:
    sections = session.exec(
        select(Section).where(Section.plan_id == plan_id).order_by(col(Section.position))
    ).all()
    items = session.exec(
        select(Item)
        .where(Item.plan_id == plan_id, col(Item.deleted_at).is_(None))
        .order_by(col(Item.section_id), col(Item.position), col(Item.id))
    ).all()
    by_section: dict[int, list[Item]] = defaultdict(list)
    for item in items:
        by_section[item.section_id].append(item)
    return [SectionView(s, by_section.get(s.id, [])) for s in sections]  # type: ignore[arg-type]


def load_section(session: Session, plan_id: int, section_id: int) -> SectionView | None:
    section = session.get(Section, section_id)
    if section is None or section.plan_id != plan_id:
        return None
    items = session.exec(
        select(Item)
        .where(Item.section_id == section_id, col(Item.deleted_at).is_(None))
        .order_by(col(Item.position), col(Item.id))
    ).all()
    return SectionView(section, list(items))


def get_item(session: Session, plan_id: int, item_id: int) -> Item | None:
    item = session.get(Item, item_id)
    if item is None or item.plan_id != plan_id:
        return None
    return item


def add_item(session: Session, plan_id: int, section_id: int, text: str, by: User) -> Item:
    last = session.exec(select(func.max(Item.position)).where(Item.section_id == section_id)).one()
    item = Item(
        plan_id=plan_id,
        section_id=section_id,
        text=text,
        position=(last if last is not None else -1) + 1,
        changed_by_id=by.id,
    )
    session.add(item)
    session.flush()
    return item


def _conditional(
    session: Session,
    item: Item,
    seen_version: int,
    by: User,
    *,
    restore: bool = False,
    **values: object,
) -> Item:
    return conditional_update(session, item, seen_version, by, restore=restore, **values)


def edit_item(session: Session, item: Item, seen_version: int, text: str, by: User) -> Item:
    return _conditional(session, item, seen_version, by, text=text)


def set_done(session: Session, item: Item, seen_version: int, done: bool, by: User) -> Item:
    return _conditional(session, item, seen_version, by, done=done)


def delete_item(session: Session, item: Item, seen_version: int, by: User) -> Item:
    return _conditional(session, item, seen_version, by, deleted_at=now())


def restore_item(
    session: Session, item: Item, seen_version: int, by: User, text: str | None = None
) -> Item:
    """Undo a delete (with the restorer's text, from the conflict page): conditional like
    every write, on the version seen and on the item still being deleted."""
    values: dict[str, object] = {"deleted_at": None}
    if text is not None:
        values["text"] = text
    return _conditional(session, item, seen_version, by, restore=True, **values)


def move_item(session: Session, item: Item, seen_version: int, direction: int, by: User) -> Item:
    """Swap with the neighbour above (-1) or below (+1). Both rows get a new version."""
    siblings = list(
        session.exec(
            select(Item)
            .where(Item.section_id == item.section_id, col(Item.deleted_at).is_(None))
            .order_by(col(Item.position), col(Item.id))
        ).all()
    )
    index = next((i for i, s in enumerate(siblings) if s.id == item.id), None)
    if index is None:  # deleted meanwhile (another tab): a stale write like a stale edit
        raise StaleWrite(item)
    other_index = index + direction
    if not 0 <= other_index < len(siblings):
        return _conditional(session, item, seen_version, by)  # still checks the version
    other = siblings[other_index]
    mine, theirs = item.position, other.position
    if mine == theirs:  # legacy ties: spread positions first
        for i, sibling in enumerate(siblings):
            sibling.position = i
            session.add(sibling)
        session.flush()
        mine, theirs = index, other_index
    _conditional(session, item, seen_version, by, position=theirs)
    other.position = mine
    other.version += 1
    session.add(other)
    session.flush()
    return item


def add_section(session: Session, plan_id: int, title: str, by: User) -> Section:
    last = session.exec(select(func.max(Section.position)).where(Section.plan_id == plan_id)).one()
    section = Section(
        plan_id=plan_id,
        title=title,
        changed_by_id=by.id,
        position=(last if last is not None else -1) + 1,
    )
    session.add(section)
    session.flush()
    return section


def edit_section(
    session: Session,
    section: Section,
    seen_version: int,
    title: str,
    review_by: date | None,
    by: User,
) -> Section:
    result = session.execute(
        update(Section)
        .where(col(Section.id) == section.id, col(Section.version) == seen_version)
        .values(
            version=seen_version + 1,
            title=title,
            review_by=review_by,
            changed_by_id=by.id,
            changed_at=now(),
        )
    )
    session.refresh(section)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleWrite(section)
    return section
