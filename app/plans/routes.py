"""The plan editor, the same for the victim (on a phone) and a granted caseworker.

Every route: sign-in → access check (sharing) → query → render. Plain forms answer 303 back to
the plan; htmx requests get the changed section alone (the same partial the page includes).
A stale write is refused with 409 and the current text next to the one the user typed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from app import db, inputs
from app.auth import labels
from app.auth.access import require
from app.auth.models import Role, User
from app.i18n import N_, _, current_locale
from app.live import presence
from app.live.broker import Event, announce
from app.live.presence import mark_editing
from app.plans import queries
from app.plans.access import PlanAccess, audit_change, audit_read, plan_access, read_access
from app.plans.models import MAX_TEXT, MAX_TITLE, Item, Plan
from app.plans.template import DEFAULT_TEMPLATE
from app.web import form_endpoint, is_htmx, render

TEXT_ERRORS = {
    "empty": N_("Write something first."),
    "long": N_("The text can be at most 500 characters. Shorten it a little."),
    "title_long": N_("The heading can be at most 100 characters."),
    "date": N_("Write the date as day-month-year, e.g. 31-12-2026."),
}
STALE = N_("The form is out of date. Reload the page and try again.")


# What the plan templates expect besides the plan itself: errors and drafts keyed by field,
# a notice, the item just deleted (for "undo"), the item whose editor stays open.
DEFAULTS: dict[str, Any] = {
    "errors": {},
    "drafts": {},
    "notice": None,
    "deleted": None,
    "editing": None,
}


class Invalid(Exception):
    def __init__(self, field: str, code: str, value: str) -> None:
        super().__init__(code)
        self.field, self.code, self.value = field, code, value


def clean_text(form: FormData, field: str = "text", limit: int = MAX_TEXT) -> str:
    value = inputs.text(form, field, multiline=limit == MAX_TEXT)
    if not value:
        raise Invalid(field, "empty", value)
    if len(value) > limit:
        raise Invalid(field, "long" if limit == MAX_TEXT else "title_long", value)
    return value


def parse_date(raw: object) -> date | None:
    text = str(raw or "").strip()
    if not text:
        return None
    for fmt in ("%d-%m-%Y", "%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise Invalid("review_by", "date", text)


def _engine(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.engine


def _plan_id(request: Request) -> int:
    return int(request.path_params["plan_id"])


def _context(
    request: Request, session: Session, access: PlanAccess, **extra: Any
) -> dict[str, Any]:
    # The live position is taken before the plan is read: a change in between is replayed.
    live_position = request.app.state.broker.hub.position()
    sections = queries.load(session, access.plan.id)  # type: ignore[arg-type]
    changers = {s.section.changed_by_id for s in sections}
    changers |= {i.changed_by_id for s in sections for i in s.items}
    return {
        "access": access,
        "sections": sections,
        "people": labels.changer_labels(session, changers),
        "live_position": live_position,
        "here": presence.here(session, access.plan.id, except_user=access.user.id),  # type: ignore[arg-type]
        **DEFAULTS,
        **extra,
    }


def _section_context(
    session: Session, access: PlanAccess, section_id: int, **extra: Any
) -> dict[str, Any]:
    view = queries.load_section(session, access.plan.id, section_id)  # type: ignore[arg-type]
    if view is None:
        raise HTTPException(404)
    changers = {view.section.changed_by_id, *(i.changed_by_id for i in view.items)}
    return {
        "access": access,
        "view": view,
        "people": labels.changer_labels(session, changers),
        **DEFAULTS,
        **extra,
    }


def _back(request: Request, section_id: int) -> Response:
    return RedirectResponse(f"/plans/{_plan_id(request)}#section-{section_id}", status_code=303)


def _section_response(
    request: Request,
    session: Session,
    access: PlanAccess,
    section_id: int,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """htmx: the section alone; a plain form: back to the plan (or the page with errors).
    A refused write (4xx) changed nothing but shows the plan: a read."""
    if status_code != 200:
        audit_read(request, access, "refused", session)
    if request.headers.get("hx-request") == "true":
        return render(
            request,
            "plans/plan.html",
            _section_context(session, access, section_id, **extra),
            partial="plans/_section.html",
            status_code=status_code,
        )
    if status_code != 200:
        return render(
            request,
            "plans/plan.html",
            _context(request, session, access, **extra),
            status_code=status_code,
        )
    return _back(request, section_id)


def _changed(
    request: Request,
    session: Session,
    access: PlanAccess,
    what: str,
    section_id: int | None = None,
    item: Item | None = None,
) -> None:
    """After a write: the audit trail (others' writes) and, once committed, the live stream —
    ids and versions only. Without a section the plan's outline changed."""
    audit_change(request, session, access, what)
    plan_id: int = access.plan.id  # type: ignore[assignment]
    event = (
        Event(plan=plan_id, kind="plan")
        if section_id is None
        else Event(
            plan=plan_id,
            kind="section",
            section=section_id,
            item=item.id if item else None,
            version=item.version if item else None,
        )
    )
    announce(request.app.state.broker, session, event)


# ---------------------------------------------------------------- pages


async def my_plan(request: Request) -> Response:
    """The victim's own plan; one is made from the default template if it is missing."""
    user = require(request, Role.victim)
    plan = await run_in_threadpool(_own_plan, request, user)
    return RedirectResponse(f"/plans/{plan.id}", status_code=303)


def _own_plan(request: Request, user: User) -> Plan:
    with db.write_session(_engine(request)) as session:
        return queries.plan_of(session, user.id) or queries.create_plan(  # type: ignore[arg-type]
            session, user, DEFAULT_TEMPLATE, user.locale or current_locale(), None
        )


def plan_page(request: Request) -> Response:
    user = require(request, Role.victim, Role.caseworker)
    with db.read_session(_engine(request)) as session:
        access = read_access(request, session, user)
        context = _context(request, session, access)
    return render(request, "plans/plan.html", context)


def print_page(request: Request) -> Response:
    """The plan for paper: the print CSS hides the exit button, navigation and forms."""
    user = require(request, Role.victim, Role.caseworker)
    with db.read_session(_engine(request)) as session:
        access = read_access(request, session, user, "print")
        context = _context(request, session, access)
    return render(request, "plans/print.html", context)


def download(request: Request) -> Response:
    user = require(request, Role.victim, Role.caseworker)
    with db.read_session(_engine(request)) as session:
        access = read_access(request, session, user, "download")
        sections = queries.load(session, access.plan.id)  # type: ignore[arg-type]
    body = {
        "sections": [
            {
                "title": v.section.title,
                "review_by": v.section.review_by.isoformat() if v.section.review_by else None,
                "items": [{"text": i.text, "done": i.done} for i in v.items],
            }
            for v in sections
        ]
    }
    return JSONResponse(body, headers={"Content-Disposition": 'attachment; filename="noter.json"'})


# ---------------------------------------------------------------- items


def add_item(request: Request, form: FormData) -> Response:
    user = require(request, Role.victim, Role.caseworker)
    section_id = int(request.path_params["section_id"])
    with db.write_session(_engine(request)) as session:
        access = plan_access(session, user, _plan_id(request))
        if queries.load_section(session, access.plan.id, section_id) is None:  # type: ignore[arg-type]
            raise HTTPException(404)
        try:
            text = clean_text(form)
        except Invalid as bad:
            errors = {f"new-{section_id}": _(TEXT_ERRORS[bad.code])}
            return _section_response(
                request,
                session,
                access,
                section_id,
                status_code=422,
                errors=errors,
                drafts={f"new-{section_id}": bad.value},
            )
        item = queries.add_item(session, access.plan.id, section_id, text, user)  # type: ignore[arg-type]
        _changed(request, session, access, f"item={item.id} add", section_id, item)
        return _section_response(request, session, access, section_id)


def _item(session: Session, access: PlanAccess, request: Request) -> Item:
    item = queries.get_item(session, access.plan.id, int(request.path_params["item_id"]))  # type: ignore[arg-type]
    if item is None:
        raise HTTPException(404)
    return item


def edit_item(request: Request, form: FormData) -> Response:
    user = require(request, Role.victim, Role.caseworker)
    with db.write_session(_engine(request)) as session:
        access = plan_access(session, user, _plan_id(request))
        item = _item(session, access, request)
        version = inputs.version(form)
        try:
            text = clean_text(form)
        except Invalid as bad:
            return _section_response(
                request,
                session,
                access,
                item.section_id,
                status_code=422,
                errors={f"item-{item.id}": _(TEXT_ERRORS[bad.code])},
                drafts={f"item-{item.id}": bad.value},
                editing=item.id,
            )
        try:
            queries.edit_item(session, item, version, text, user)
        except queries.StaleWrite as stale:
            session.rollback()
            return _conflict(request, session, access, item, stale.current, text)
        _changed(request, session, access, f"item={item.id} edit", item.section_id, item)
        if presence.editing(session, access.plan.id, user.id, None):  # type: ignore[arg-type]
            announce(request.app.state.broker, session, Event(plan=item.plan_id, kind="presence"))
        return _section_response(request, session, access, item.section_id)


def _conflict(
    request: Request,
    session: Session,
    access: PlanAccess,
    item: Item,
    current: Item | None,
    mine: str,
) -> Response:
    """Never a silent overwrite: show both texts and let the user choose. For htmx the choice
    replaces the main content (not the section), and its forms are plain forms. It shows the
    current text: a read."""
    audit_read(request, access, "conflict", session)
    headers = {"HX-Retarget": "#main", "HX-Reswap": "innerHTML"} if is_htmx(request) else None
    return render(
        request,
        "plans/conflict.html",
        {"access": access, "item": item, "current": current, "mine": mine},
        status_code=409,
        headers=headers,
    )


def toggle_item(request: Request, form: FormData) -> Response:
    user = require(request, Role.victim, Role.caseworker)
    with db.write_session(_engine(request)) as session:
        access = plan_access(session, user, _plan_id(request))
        item = _item(session, access, request)
        try:
            queries.set_done(session, item, inputs.version(form), form.get("done") == "1", user)
        except queries.StaleWrite:
            session.rollback()
            return _section_response(
                request, session, access, item.section_id, status_code=409, notice=_(STALE)
            )
        _changed(request, session, access, f"item={item.id} done", item.section_id, item)
        return _section_response(request, session, access, item.section_id)


def move_item(request: Request, form: FormData) -> Response:
    user = require(request, Role.victim, Role.caseworker)
    direction = -1 if form.get("direction") == "up" else 1
    with db.write_session(_engine(request)) as session:
        access = plan_access(session, user, _plan_id(request))
        item = _item(session, access, request)
        try:
            queries.move_item(session, item, inputs.version(form), direction, user)
        except queries.StaleWrite:
            session.rollback()
            return _section_response(
                request, session, access, item.section_id, status_code=409, notice=_(STALE)
            )
        _changed(request, session, access, f"item={item.id} move", item.section_id, item)
        return _section_response(request, session, access, item.section_id)


def edit_form(request: Request) -> Response:
    """The editor for one item: the plan page with it open, or (htmx) just its section."""
    user = require(request, Role.victim, Role.caseworker)
    with db.read_session(_engine(request)) as session:
        access = read_access(request, session, user, "edit")
        item = _item(session, access, request)
        mark_editing(request, item.plan_id, user, item.id)
        if is_htmx(request):
            context = _section_context(session, access, item.section_id, editing=item.id)
            return render(request, "plans/plan.html", context, partial="plans/_section.html")
        context = _context(request, session, access, editing=item.id)
    return render(request, "plans/plan.html", context)


def section_fragment(request: Request) -> Response:
    """One section as it is now (htmx "cancel"); without htmx, the plan page."""
    user = require(request, Role.victim, Role.caseworker)
    section_id = int(request.path_params["section_id"])
    with db.read_session(_engine(request)) as session:
        if not is_htmx(request):  # shows nothing: back to the plan page (which is audited)
            plan_access(session, user, _plan_id(request))
            context = None
        else:
            access = read_access(request, session, user, "section")
            context = _section_context(session, access, section_id)
    if "closed" in request.query_params:  # "Cancel" in an editor: the soft marker goes
        mark_editing(request, _plan_id(request), user, None)
    if context is None:
        return _back(request, section_id)
    return render(request, "plans/plan.html", context, partial="plans/_section.html")


def confirm_delete(request: Request) -> Response:
    """Without JavaScript, deleting asks on a page of its own."""
    user = require(request, Role.victim, Role.caseworker)
    with db.read_session(_engine(request)) as session:
        access = read_access(request, session, user, "confirm")
        item = _item(session, access, request)
    return render(request, "plans/confirm_delete.html", {"access": access, "item": item})


def delete_item(request: Request, form: FormData) -> Response:
    user = require(request, Role.victim, Role.caseworker)
    with db.write_session(_engine(request)) as session:
        access = plan_access(session, user, _plan_id(request))
        item = _item(session, access, request)
        try:
            queries.delete_item(session, item, inputs.version(form), user)
        except queries.StaleWrite:
            session.rollback()
            return _section_response(
                request, session, access, item.section_id, status_code=409, notice=_(STALE)
            )
        _changed(request, session, access, f"item={item.id} delete", item.section_id, item)
        if request.headers.get("hx-request") == "true":
            return _section_response(request, session, access, item.section_id, deleted=item)
        context = _context(request, session, access, deleted=item)
    return render(request, "plans/plan.html", context)


def restore_item(request: Request, form: FormData) -> Response:
    """Undo a delete; from the conflict page (deleted while someone edited it) with their text.
    Conditional on the version the form saw: of two restores one wins, the other is shown the
    conflict (with a text) or told the form is out of date (a plain undo)."""
    user = require(request, Role.victim, Role.caseworker)
    with db.write_session(_engine(request)) as session:
        access = plan_access(session, user, _plan_id(request))
        item = _item(session, access, request)
        version = inputs.version(form)
        text = None
        if "text" in form:
            try:
                text = clean_text(form)
            except Invalid:
                text = None  # an emptied text restores the item as it was
        try:
            queries.restore_item(session, item, version, user, text)
        except queries.StaleWrite as stale:
            session.rollback()
            if text is None:
                return _section_response(
                    request, session, access, item.section_id, status_code=409, notice=_(STALE)
                )
            return _conflict(request, session, access, item, stale.current, text)
        _changed(request, session, access, f"item={item.id} restore", item.section_id, item)
        return _section_response(request, session, access, item.section_id)


# ---------------------------------------------------------------- sections


def add_section(request: Request, form: FormData) -> Response:
    user = require(request, Role.victim, Role.caseworker)
    with db.write_session(_engine(request)) as session:
        access = plan_access(session, user, _plan_id(request))
        try:
            title = clean_text(form, "title", MAX_TITLE)
        except Invalid as bad:
            context = _context(
                request,
                session,
                access,
                errors={"new-section": _(TEXT_ERRORS[bad.code])},
                drafts={"new-section": bad.value},
            )
            audit_read(request, access, "refused", session)
            return render(request, "plans/plan.html", context, status_code=422)
        section = queries.add_section(session, access.plan.id, title, user)  # type: ignore[arg-type]
        _changed(request, session, access, f"section={section.id} add")
    return _back(request, section.id)  # type: ignore[arg-type]


def edit_section(request: Request, form: FormData) -> Response:
    user = require(request, Role.victim, Role.caseworker)
    section_id = int(request.path_params["section_id"])
    with db.write_session(_engine(request)) as session:
        access = plan_access(session, user, _plan_id(request))
        view = queries.load_section(session, access.plan.id, section_id)  # type: ignore[arg-type]
        if view is None:
            raise HTTPException(404)
        try:
            title = clean_text(form, "title", MAX_TITLE)
            review_by = parse_date(form.get("review_by"))
        except Invalid as bad:
            return _section_response(
                request,
                session,
                access,
                section_id,
                status_code=422,
                errors={f"section-{section_id}": _(TEXT_ERRORS[bad.code])},
            )
        try:
            version = inputs.version(form)
            queries.edit_section(session, view.section, version, title, review_by, user)
        except queries.StaleWrite:
            session.rollback()
            return _section_response(
                request, session, access, section_id, status_code=409, notice=_(STALE)
            )
        _changed(request, session, access, f"section={section_id} edit", section_id)
        return _section_response(request, session, access, section_id)


P = "/plans/{plan_id:id}"
routes = [
    Route("/plan", my_plan, name="my_plan"),
    Route(P, plan_page, name="plan"),
    Route(P + "/print", print_page),
    Route(P + "/download", download),
    Route(P + "/sections", form_endpoint(add_section), methods=["POST"]),
    Route(P + "/sections/{section_id:id}", section_fragment),
    Route(P + "/sections/{section_id:id}", form_endpoint(edit_section), methods=["POST"]),
    Route(P + "/sections/{section_id:id}/items", form_endpoint(add_item), methods=["POST"]),
    Route(P + "/items/{item_id:id}", form_endpoint(edit_item), methods=["POST"]),
    Route(P + "/items/{item_id:id}/edit", edit_form),
    Route(P + "/items/{item_id:id}/done", form_endpoint(toggle_item), methods=["POST"]),
    Route(P + "/items/{item_id:id}/move", form_endpoint(move_item), methods=["POST"]),
    Route(P + "/items/{item_id:id}/delete", confirm_delete),
    Route(P + "/items/{item_id:id}/delete", form_endpoint(delete_item), methods=["POST"]),
    Route(P + "/items/{item_id:id}/restore", form_endpoint(restore_item), methods=["POST"]),
]
