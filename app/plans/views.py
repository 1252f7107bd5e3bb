"""What a plan page shows: the context the plan templates are rendered with, for the whole page
and for one section (the fragment htmx swaps). Read-only; the routes decide which one."""

from __future__ import annotations

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
}


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
        **extra,
    }


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
