"""Reading and changing a plan. Writes are conditional on the version the writer saw.

A plan page costs a bounded number of queries whatever the size of the database: the plan,
its sections, its items (indexed by plan), the access check.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.auth.models import User
from app.clock import now
from app.ordering import next_position, swap
from app.plans import template as tpl
from app.plans.models import Grant, Item, OrgTemplate, Plan, Section
from app.versions import conditional_update


@dataclass
class SectionView:
    """A section and its items, in order. From :func:`load_section` these are ORM rows (a write
    may follow); from :func:`load`, read-only rows with the same attributes: the plan page reads
    up to a hundred rows per request, and ORM instances cost twice the query there."""

    section: Any
    items: list[Any] = field(default_factory=list)


def create_plan(
    session: Session,
    victim: User,
    template: tuple[tpl.TemplateSection, ...],
    locale: str,
    by: User | None,
) -> Plan:
    """A new plan from an organisation's template, in the victim's language; the enrolling
    caseworker gets the first grant. Nobody has changed the copied sections and items yet
    (``changed_by_id`` empty): the plan says "From the template" until someone does."""
    plan = Plan(victim_id=victim.id)  # type: ignore[arg-type]
    session.add(plan)
    session.flush()
    assert plan.id is not None  # flushed
    for position, spec in enumerate(template):
        section = Section(
            plan_id=plan.id,
            template_key=spec.key,
            title=tpl.section_title(spec, locale),
            position=position,
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


SECTION_COLUMNS = tuple(Section.__table__.c)  # type: ignore[attr-defined]
ITEM_COLUMNS = tuple(Item.__table__.c)  # type: ignore[attr-defined]


def load(session: Session, plan_id: int) -> list[SectionView]:
    """The whole plan to show (read-only rows, see :class:`SectionView`): two queries."""
    sections = session.execute(
        select(*SECTION_COLUMNS)
        .where(col(Section.plan_id) == plan_id)
        .order_by(col(Section.position))
    ).all()
    items = session.execute(
        select(*ITEM_COLUMNS)
        .where(col(Item.plan_id) == plan_id, col(Item.deleted_at).is_(None))
        .order_by(col(Item.section_id), col(Item.position), col(Item.id))
    ).all()
    by_section: dict[int, list[Any]] = defaultdict(list)
    for item in items:
        by_section[item.section_id].append(item)
    return [SectionView(s, by_section.get(s.id, [])) for s in sections]


def export(session: Session, plan_id: int) -> dict[str, object]:
    """The plan as the JSON file "Hent" gives her: headings, dates, items and ticks."""
    return {
        "sections": [
            {
                "title": v.section.title,
                "review_by": v.section.review_by.isoformat() if v.section.review_by else None,
                "items": [{"text": i.text, "done": i.done} for i in v.items],
            }
            for v in load(session, plan_id)
        ]
    }


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


def add_item(session: Session, plan_id: int, section_id: int, text: str, by: User) -> Item:
    item = Item(
        plan_id=plan_id,
        section_id=section_id,
        text=text,
        position=next_position(session, Item.position, col(Item.section_id) == section_id),
        changed_by_id=by.id,
    )
    session.add(item)
    session.flush()
    return item


def edit_item(session: Session, item: Item, seen_version: int, text: str, by: User) -> Item:
    return conditional_update(session, item, seen_version, by, text=text)


def set_done(session: Session, item: Item, seen_version: int, done: bool, by: User) -> Item:
    return conditional_update(session, item, seen_version, by, done=done)


def delete_item(session: Session, item: Item, seen_version: int, by: User) -> Item:
    return conditional_update(session, item, seen_version, by, deleted_at=now())


def restore_item(
    session: Session, item: Item, seen_version: int, by: User, text: str | None = None
) -> Item:
    """Undo a delete (with the restorer's text, from the conflict page): conditional like
    every write, on the version seen and on the item still being deleted."""
    values: dict[str, Any] = {"deleted_at": None}
    if text is not None:
        values["text"] = text
    return conditional_update(session, item, seen_version, by, restore=True, **values)


def move_item(session: Session, item: Item, seen_version: int, direction: int, by: User) -> Item:
    """Swap with the neighbour above (-1) or below (+1) among the items shown."""
    siblings = session.exec(
        select(Item)
        .where(Item.section_id == item.section_id, col(Item.deleted_at).is_(None))
        .order_by(col(Item.position), col(Item.id))
    ).all()
    return swap(session, siblings, item, seen_version, direction, by)


def add_section(session: Session, plan_id: int, title: str, by: User) -> Section:
    section = Section(
        plan_id=plan_id,
        title=title,
        changed_by_id=by.id,
        position=next_position(session, Section.position, col(Section.plan_id) == plan_id),
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
    return conditional_update(session, section, seen_version, by, title=title, review_by=review_by)
