"""Sharing the log (issue 16 point 6): the victim decides whether her granted caseworkers see
nothing (the default), every entry, or the entries she chooses. A caseworker's view is a
plan-bound route (app/plans/resource.py): without a grant, or while she shares nothing, it is
404. Every caseworker read is recorded like a plan read (``diary_read``, folded per ten
minutes) and shown in her activity; a caseworker may write an entry on her behalf in a meeting,
marked with who wrote it (``diary_written``).
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse

from app import audit, inputs
from app.auth import labels
from app.auth.endpoints import Call, Reply
from app.clock import now
from app.diary import queries
from app.diary.forms import clean_entry, local_input
from app.diary.models import Share
from app.plans.access import audit_read
from app.plans.once import Once
from app.plans.resource import PlanCall
from app.web import render

PAGE = "diary/shared.html"


def sharing_page(call: Call) -> Reply:
    victim_id: int = call.user.id  # type: ignore[assignment]
    saved = call.request.query_params.get("saved") == "1"
    context = {
        "mode": queries.share_mode(call.session, victim_id),
        "entries": queries.entries(call.session, victim_id),
        "saved": saved,
    }
    return lambda c: render(c.request, "diary/sharing.html", context)


def save_sharing(call: Call) -> Reply:
    victim_id: int = call.user.id  # type: ignore[assignment]
    raw = call.form.get("mode")
    mode = Share(raw) if raw in {m.value for m in Share} else Share.none
    chosen = {inputs.parse_id(v) for v in call.form.getlist("entry")}
    queries.set_share(call.session, victim_id, mode, {i for i in chosen if i is not None})
    audit.own_event(call.request, call.session, victim_id, "diary_shared", f"mode={mode.value}")
    return RedirectResponse("/diary/sharing?saved=1", status_code=303)


def _shared(call: PlanCall) -> None:
    """404 unless she shares her log (a caseworker without a share sees nothing of it)."""
    if queries.share_mode(call.session, call.access.victim.id) == Share.none:  # type: ignore[arg-type]
        raise HTTPException(404)


def context(call: PlanCall, **extra: Any) -> dict[str, Any]:
    entries = queries.shared_entries(call.session, call.access.victim.id)  # type: ignore[arg-type]
    writers = labels.changer_labels(call.session, {e.created_by_id for e in entries})
    return {
        "access": call.access,
        "entries": entries,
        "writers": writers,
        "values": {"when": local_input(now())},
        "errors": {},
        **extra,
    }


def shared_page(call: PlanCall) -> Reply:
    if call.access.is_victim:
        return RedirectResponse("/diary", status_code=303)
    _shared(call)
    audit_read(call.request, call.access, "diary", action="diary_read")
    return lambda c: render(c.request, PAGE, context(c))


def write_for_her(call: PlanCall) -> Reply:
    """An entry written in the meeting, on her behalf: marked with who wrote it."""
    if call.access.is_victim:
        return RedirectResponse("/diary", status_code=303)
    _shared(call)
    values, errors = clean_entry(call.form)
    if errors:
        audit_read(call.request, call.access, "refused", call.session, action="diary_read")
        return lambda c: render(
            c.request, PAGE, context(c, values=values, errors=errors), status_code=422
        )
    victim_id: int = call.access.victim.id  # type: ignore[assignment]
    once = Once(call.session, call.user.id, call.form)  # type: ignore[arg-type]
    if once.seen() is None:
        entry = queries.add_entry(call.session, victim_id, values, call.user, shared=True)
        once.made(entry.id)
        audit.record(
            call.session,
            "diary_written",
            actor_id=call.user.id,
            subject_id=victim_id,
            plan_id=call.plan_id,
            ip=audit.request_ip(call.request),
            detail=f"diary_entry={entry.id}",
        )
    return RedirectResponse(f"/plans/{call.plan_id}/diary", status_code=303)
