"""The handleplan (/plans/N/actions): who helps in the case and in which role, what was agreed,
the meetings and the legal steps — the same page for the victim and her granted caseworkers
(docs/design.md §11).

Each route is a declaration on :mod:`app.plans.resource` (404 for anyone without access to the
plan; org admins never). Granted caseworkers change everything; the victim sees everything,
adds her own actions and legal steps, changes what is hers to do, and comments on any action.
Plain forms answer 303 back to the page; htmx requests get the page's body alone (the same
partial the page includes). A stale write is refused with 409: an action's editor meets the
conflict choice, the rest the page again with a notice. Every write is audited (shown in her
activity when someone else made it) and announced on the plan's live stream — ids only.
Nothing is sent anywhere else: a reminder lives on the caseload and on her plan.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.exceptions import HTTPException

from app import audit, inputs
from app.actions import forms, legal, queries, rights
from app.actions.models import Action, LegalStep, Meeting, Status, Who
from app.auth import labels
from app.auth.endpoints import Reply
from app.clock import now
from app.diary.forms import local_input
from app.i18n import N_, _
from app.live import presence, shared
from app.live.broker import Event, announce
from app.plans.once import Once
from app.plans.resource import STALE, PlanCall, conflict, respond, route, show
from app.plans.views import DOWNLOAD, FIRST_SCREEN
from app.sharing.caseload import CASELOAD
from app.versions import StaleWrite

PAGE, BODY = "actions/actions.html", "actions/_body.html"
NOT_YOURS = N_("Only the caseworkers in your case can change this. You can comment on it.")
CASEWORKERS_ONLY = N_("Only the caseworkers in the case can change this.")

MEETING_FIELDS = ("at", "place", "attendees", "by_phone")
STEP_FIELDS = ("kind", "started", "ends", "reference")
DEFAULTS: dict[str, Any] = {"errors": {}, "drafts": {}, "notice": None, "open": None}


def page_url(plan_id: int) -> str:
    return f"/plans/{plan_id}/actions"


def page_context(call: PlanCall, **extra: Any) -> dict[str, Any]:
    live_position = shared.broker(call.request).hub.position()
    case = queries.load(call.session, call.plan_id)
    moment = now()
    return {
        "access": call.access,
        "case": case,
        "people": labels.changer_labels(call.session, queries.changers(case)),
        "live_position": live_position,
        "here": presence.here(call.session, call.plan_id, except_user=call.user.id),
        "today": queries.local_day(moment),
        "next_meeting": case.next_meeting(moment),
        "legal": legal,
        "status_labels": forms.STATUS_LABELS,
        "role_labels": forms.ROLE_LABELS,
        "agency_labels": forms.AGENCY_LABELS,
        "who_value": forms.who_value,
        "local_input": local_input,
        "can_change": lambda action: may_change(call, action),
        "can_set_status": lambda action: may_set_status(call, action),
        **DEFAULTS,
        **extra,
    }


def body(call: PlanCall, status: int = 200, anchor: str = "", **extra: Any) -> Reply:
    """The answer to a write (see :func:`app.plans.resource.respond`)."""
    return respond(
        call,
        page=PAGE,
        partial=BODY,
        context=lambda c: page_context(c, **extra),
        back=f"{page_url(call.plan_id)}#{anchor or 'actions'}",
        status=status,
    )


def changed(call: PlanCall, action: str, detail: str) -> None:
    """Every write: audited (ids only; her activity shows others' writes) and, once committed,
    announced on the plan's live stream."""
    audit.record(
        call.session,
        action,
        actor_id=call.user.id,
        subject_id=call.access.victim.id,
        plan_id=call.plan_id,
        ip=audit.request_ip(call.request),
        detail=detail,
    )
    announce(shared.broker(call.request), call.session, Event(plan=call.plan_id, kind="actions"))


def refused(call: PlanCall, message: str) -> Reply:
    return body(call, 403, notice=_(message))


def stale(call: PlanCall, _stale: StaleWrite) -> Reply:
    return body(call, 409, notice=_(STALE))


def may_change(call: PlanCall, action: Action) -> bool:
    """Caseworkers change every action; the victim changes the ones she added."""
    return not call.access.is_victim or action.created_by_id == call.user.id


def may_set_status(call: PlanCall, action: Action) -> bool:
    """…and sets the status of what is hers to do, whoever wrote it down."""
    return may_change(call, action) or action.who == Who.victim


def meeting_ids(call: PlanCall) -> set[int]:
    return queries.meeting_ids(call.session, call.plan_id)


def granted_ids(call: PlanCall) -> set[int]:
    return {p.user.id for p in queries.helpers(call.session, call.plan_id)}  # type: ignore[misc]


def action_of(call: PlanCall) -> Action:
    return call.row(Action, "action_id")


# ---------------------------------------------------------------- the page


def actions_page(call: PlanCall) -> Reply:
    return show(PAGE, page_context)


def due_on_plan(call: PlanCall) -> dict[str, Any]:
    """Her plan's first screen: the next meeting and what is hers to do soon or overdue."""
    moment = now()
    meeting, due = queries.for_victim(call.session, call.plan_id, moment)
    return {"next_meeting": meeting, "due_for_her": due, "today": queries.local_day(moment)}


FIRST_SCREEN.append(due_on_plan)


def in_the_download(call: PlanCall) -> dict[str, Any]:
    """The plan's JSON download ("Hent") holds the handleplan too."""
    return {
        "helpers": plain_rows(rights.export_helpers(call.session, call.plan_id)),
        "actions": plain_rows(rights.export_actions(call.session, call.plan_id)),
        "comments": plain_rows(rights.export_comments(call.session, call.plan_id)),
        "meetings": plain_rows(rights.export_meetings(call.session, call.plan_id)),
        "legal_steps": plain_rows(rights.export_steps(call.session, call.plan_id)),
    }


def plain_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """JSON values: dates and times as ISO 8601."""
    return [
        {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()} for row in rows
    ]


DOWNLOAD.append(in_the_download)


def due_on_caseload(session: Session, plan_ids: list[int]) -> dict[str, Any]:
    """The caseload: per case what falls due, most urgent first, and all of it in one list
    (no text of any case: kinds and dates). Three queries for any number of cases."""
    moment = now()
    due = queries.due_by_plan(session, plan_ids, moment)
    every = sorted((d for items in due.values() for d in items), key=queries.urgency)
    labels = {("meeting", ""): _("Meeting"), ("overdue", ""): _("Overdue since %(date)s")}
    action = _("Agreed action")
    labels |= {("action", str(k)): f"{action} ({_(v)})" for k, v in forms.STATUS_LABELS.items()}
    labels |= {("legal", k.label): _(k.label) for k in legal.KINDS.values()}
    return {"due": due, "due_all": every, "today": queries.local_day(moment), "due_labels": labels}


CASELOAD.append(due_on_caseload)


# ---------------------------------------------------------------- actions


def add_action(call: PlanCall) -> Reply:
    values, errors = forms.clean_action(
        call.form, granted_ids(call), meeting_ids(call), victim=call.access.is_victim
    )
    if call.access.is_victim:  # her own add is hers to do, agreed
        values |= {"who": Who.victim, "who_id": None, "status": Status.agreed}
        errors.pop("who", None)
    if errors:
        drafts = {"new": forms.typed(call.form, "what", "note", "due", "status", "who", "meeting")}
        errors = {f"new-{k}": v for k, v in errors.items()}
        return body(call, 422, errors=errors, drafts=drafts, anchor="new-action")
    once = Once(call.session, call.user.id, call.form)  # type: ignore[arg-type]
    made = once.seen()  # a repeat (double tap) answers like the first, adding nothing
    if made is None:
        action = queries.add_action(call.session, call.plan_id, values, call.user)
        once.made(action.id)
        changed(call, "action_added", f"action={action.id}")
        made = str(action.id)
    return body(call, anchor=f"action-{made}" if made else "")


def edit_action(call: PlanCall) -> Reply:
    action = action_of(call)
    if not may_change(call, action):
        return refused(call, NOT_YOURS)
    version, key = call.version, f"a{action.id}"
    values, errors = forms.clean_action(
        call.form, granted_ids(call), meeting_ids(call), victim=call.access.is_victim
    )
    if call.access.is_victim:  # hers stays hers; she sets the status with its own button
        values |= {"who": action.who, "who_id": action.who_id, "status": action.status}
        errors.pop("who", None)
        errors.pop("status", None)
    if errors:
        drafts = {key: forms.typed(call.form, "what", "note", "due", "status", "who", "meeting")}
        errors = {f"{key}-{k}": v for k, v in errors.items()}
        return body(
            call, 422, errors=errors, drafts=drafts, open=action.id, anchor=f"action-{action.id}"
        )
    queries.edit_action(call.session, action, version, values, call.user)
    changed(call, "action_changed", f"action={action.id} edit")
    return body(call, anchor=f"action-{action.id}")


def edit_conflict(call: PlanCall, _stale: StaleWrite) -> Reply:
    """The action as it is now next to what the user typed: keep theirs or save mine."""
    mine = forms.typed(call.form, "what", "note", "due", "status", "who", "meeting")

    def context(c: PlanCall) -> dict[str, Any]:
        return {**page_context(c), "action": action_of(c), "mine": mine}

    return conflict(call, "actions/conflict.html", context)


def set_status(call: PlanCall) -> Reply:
    action = action_of(call)
    if not may_set_status(call, action):
        return refused(call, NOT_YOURS)
    status = inputs.text(call.form, "status")
    if status not in set(Status):
        return body(call, 422, notice=_(forms.ERRORS["status"]), anchor=f"action-{action.id}")
    queries.edit_action(call.session, action, call.version, {"status": status}, call.user)
    changed(call, "action_changed", f"action={action.id} status")
    return body(call, anchor=f"action-{action.id}")


def add_comment(call: PlanCall) -> Reply:
    action, key = action_of(call), f"c{call.param('action_id')}"
    text, errors = forms.clean_comment(call.form)
    if errors:
        errors = {f"{key}-{k}": v for k, v in errors.items()}
        return body(
            call, 422, errors=errors, drafts={key: {"text": text}}, anchor=f"action-{action.id}"
        )
    once = Once(call.session, call.user.id, call.form)  # type: ignore[arg-type]
    if once.seen() is None:
        comment = queries.add_comment(call.session, action, text, call.user)
        once.made(comment.id)
        changed(call, "action_commented", f"action={action.id} comment={comment.id}")
    return body(call, anchor=f"action-{action.id}")


# ---------------------------------------------------------------- who helps


def set_helper(call: PlanCall) -> Reply:
    """A caseworker's role in the case and how to reach them (caseworkers only)."""
    if call.access.is_victim:
        return refused(call, CASEWORKERS_ONLY)
    caseworker_id = call.param("caseworker_id")
    if caseworker_id not in granted_ids(call):
        raise HTTPException(404)
    version = inputs.version(call.form)
    values, errors = forms.clean_helper(call.form)
    key = f"h{caseworker_id}"
    if errors:
        errors = {f"{key}-{k}": v for k, v in errors.items()}
        drafts = {key: forms.typed(call.form, "role", "reach")}
        return body(call, 422, errors=errors, drafts=drafts, anchor="helpers")
    queries.set_helper(call.session, call.plan_id, caseworker_id, version, values, call.user)
    changed(call, "case_role_changed", f"caseworker={caseworker_id}")
    return body(call, anchor="helpers")


# ---------------------------------------------------------------- meetings and legal steps


def _write_row(
    call: PlanCall, model: type[Meeting] | type[LegalStep], prefix: str, audit_action: str
) -> Reply:
    """Add (no id in the path) or change a meeting or a legal step."""
    is_meeting = model is Meeting
    if is_meeting and call.access.is_victim:
        return refused(call, CASEWORKERS_ONLY)
    values, errors = forms.clean_meeting(call.form) if is_meeting else forms.clean_step(call.form)
    row_id = call.request.path_params.get("row_id")
    row = call.row(model, "row_id") if row_id is not None else None
    key = f"{prefix}{row.id}" if row else f"new-{prefix}"
    anchor = "meetings" if is_meeting else "legal"
    if errors:
        names = (
            ("at", "place", "attendees", "by_phone")
            if is_meeting
            else ("kind", "started", "ends", "reference")
        )
        drafts = {key: forms.typed(call.form, *names)}
        errors = {f"{key}-{k}": v for k, v in errors.items()}
        return body(call, 422, errors=errors, drafts=drafts, open=key, anchor=anchor)
    if row is None:
        once = Once(call.session, call.user.id, call.form)  # type: ignore[arg-type]
        if once.seen() is None:
            new = queries.add_row(call.session, model(plan_id=call.plan_id, **values), call.user)
            once.made(new.id)
            changed(call, audit_action, f"{prefix}={new.id} add")
        return body(call, anchor=anchor)
    queries.edit_row(call.session, row, call.version, values, call.user)
    changed(call, audit_action, f"{prefix}={row.id} edit")
    return body(call, anchor=anchor)


def add_meeting(call: PlanCall) -> Reply:
    return _write_row(call, Meeting, "meeting", "meeting_changed")


def add_step(call: PlanCall) -> Reply:
    return _write_row(call, LegalStep, "step", "legal_step_changed")


A = "/plans/{plan_id:id}/actions"
ONE = A + "/{action_id:id}"
routes = [
    route(A, actions_page, read="actions", name="actions"),
    route(A, add_action, write=True),
    route(ONE, edit_action, write=True, on_stale=edit_conflict),
    route(ONE + "/status", set_status, write=True, on_stale=stale),
    route(ONE + "/comments", add_comment, write=True),
    route(A + "/people/{caseworker_id:id}", set_helper, write=True, on_stale=stale),
    route(A + "/meetings", add_meeting, write=True),
    route(A + "/meetings/{row_id:id}", add_meeting, write=True, on_stale=stale),
    route(A + "/legal", add_step, write=True),
    route(A + "/legal/{row_id:id}", add_step, write=True, on_stale=stale),
]
