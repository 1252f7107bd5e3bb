"""What a plan page shows: the context the plan templates are rendered with, for the whole page
and for one section (the fragment htmx swaps). Read-only; the routes decide which one.

A plan is read first (``edit_all`` False, no section open): the page has no per-item forms.
``edit_section`` opens one section's editor, ``edit_all`` every one (the edit page)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException

from app.auth import labels
from app.live import presence, shared
from app.plans import queries
from app.plans.resource import PlanCall

# What the plan templates expect besides the plan itself: errors and drafts keyed by field,
# a notice, the item just deleted (for "undo"), the item whose editor stays open.
DEFAULTS: dict[str, Any] = {
    "errors": {},
    "drafts": {},
    "notice": None,
    "deleted": None,
    "editing": None,
    "edit_all": False,
    "edit_section": None,
    "alarm": None,
}

# What the victim's first screen shows besides the plan, from layers above this one (the
# contacts register the alarm link): each returns extra context for her plan page.
FIRST_SCREEN: list[Callable[[PlanCall], dict[str, Any]]] = []

# What the plan's JSON download holds besides the sections, from layers above this one (the
# handleplan registers its actions, meetings and legal steps): each returns extra keys.
DOWNLOAD: list[Callable[[PlanCall], dict[str, Any]]] = []


def page_context(call: PlanCall, **extra: Any) -> dict[str, Any]:
    # The live position is taken before the plan is read: a change in between is replayed.
    live_position = shared.broker(call.request).hub.position()
    sections = queries.load(call.session, call.plan_id)
    changers = {s.section.changed_by_id for s in sections}
    changers |= {i.changed_by_id for s in sections for i in s.items}
    return {
        "access": call.access,
        "sections": sections,
        "people": labels.changer_labels(call.session, changers),
        "live_position": live_position,
        "here": presence.here(call.session, call.plan_id, except_user=call.user.id),
        **DEFAULTS,
        **first_screen(call),
        **extra,
    }


def first_screen(call: PlanCall) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if call.access.is_victim:
        for part in FIRST_SCREEN:
            extra.update(part(call))
    return extra


def section_context(call: PlanCall, section_id: int, **extra: Any) -> dict[str, Any]:
    view = queries.load_section(call.session, call.plan_id, section_id)
    if view is None:
        raise HTTPException(404)
    changers = {view.section.changed_by_id, *(i.changed_by_id for i in view.items)}
    return {
        "access": call.access,
        "view": view,
        "people": labels.changer_labels(call.session, changers),
        **DEFAULTS,
        **extra,
    }
