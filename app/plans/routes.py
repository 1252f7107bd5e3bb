"""The plan editor, the same for the victim (on a phone) and a granted caseworker.

Each route is a declaration on :mod:`app.plans.resource` (sign-in → access check → one trip to
the thread pool → handler → render after commit). Plain forms answer 303 back to the plan;
htmx requests get the changed section alone (the same partial the page includes). A stale
write is refused with 409 and the current text next to the one the user typed.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

from app import inputs
from app.auth.endpoints import Call, Reply, endpoint, plain_call
from app.auth.models import Role
from app.i18n import _, current_locale
from app.live import presence, shared
from app.live.broker import Event, announce
from app.live.presence import mark_editing
from app.plans import queries
from app.plans.access import audit_read
from app.plans.forms import TEXT_ERRORS, Invalid, clean_text, parse_date
from app.plans.models import MAX_TITLE, Item
from app.plans.once import Once
from app.plans.resource import STALE, PlanCall, conflict, respond, route, show
from app.plans.template import DEFAULT_TEMPLATE
from app.plans.views import DOWNLOAD, page_context, section_context
from app.versions import StaleWrite
from app.web import is_htmx

PAGE, SECTION = "plans/plan.html", "plans/_section.html"
VICTIM = (Role.victim,)


def section(call: PlanCall, section_id: int, status: int = 200, **extra: Any) -> Reply:
    """The answer to a write on one section (see :func:`app.plans.resource.respond`)."""
    return respond(
        call,
        page=PAGE,
        partial=SECTION,
        context=lambda c: page_context(c, edit_all=True, **extra),
        fragment=lambda c: section_context(c, section_id, edit_section=section_id, **extra),
        back=f"/plans/{call.plan_id}/edit#section-{section_id}",
        status=status,
    )


def changed(
    call: PlanCall, what: str, section_id: int | None = None, item: Item | None = None
) -> None:
    """After a write: the audit trail (others' writes) and, once committed, the live stream —
    ids and versions only. Without a section the plan's outline changed."""
    call.audit_change(what)
    event = (
        Event(plan=call.plan_id, kind="plan")
        if section_id is None
        else Event(
            plan=call.plan_id,
            kind="section",
            section=section_id,
            item=item.id if item else None,
            version=item.version if item else None,
        )
    )
    announce(shared.broker(call.request), call.session, event)


def item_of(call: PlanCall) -> Item:
    return call.row(Item, "item_id")


def stale(call: PlanCall, _stale: StaleWrite) -> Reply:
    """Someone else wrote first: the section again, with a notice."""
    if "section_id" in call.request.path_params:
        section_id = call.param("section_id")
    else:
        section_id = item_of(call).section_id
    return section(call, section_id, 409, notice=_(STALE))


def item_conflict(call: PlanCall, text: str) -> Reply:
    """The item as it is now (None when deleted) next to the text the user typed."""

    def context(c: PlanCall) -> dict[str, Any]:
        item = item_of(c)
        current = None if item.deleted_at else item
        return {"access": c.access, "item": item, "current": current, "mine": text}

    return conflict(call, "plans/conflict.html", context)


# ---------------------------------------------------------------- pages


def my_plan(call: Call) -> Reply:
    """The victim's own plan; one is made from the default template if it is missing."""
    user = call.user
    plan = queries.plan_of(call.session, user.id) or queries.create_plan(  # type: ignore[arg-type]
        call.session, user, DEFAULT_TEMPLATE, user.locale or current_locale(), None
    )
    return RedirectResponse(f"/plans/{plan.id}", status_code=303)


def plan_page(call: PlanCall) -> Reply:
    """The plan to read: a calm document, no per-item forms."""
    return show(PAGE, page_context)


def edit_page(call: PlanCall) -> Reply:
    """The whole plan in edit mode (a meeting; every editor without JavaScript)."""
    return show(PAGE, lambda c: page_context(c, edit_all=True))


def print_page(call: PlanCall) -> Reply:
    """The plan for paper: the print CSS hides the exit button, navigation and forms."""
    return show("plans/print.html", page_context)


def download(call: PlanCall) -> Reply:
    body = queries.export(call.session, call.plan_id)
    for part in DOWNLOAD:
        body |= part(call)
    return JSONResponse(body, headers={"Content-Disposition": 'attachment; filename="noter.json"'})


def section_fragment(call: PlanCall) -> Reply:
    """One section as it is now, to read (htmx "done editing", live refresh); without htmx,
    the plan page."""
    return one_section(call, f"/plans/{call.plan_id}", edit=False)


def section_editor(call: PlanCall) -> Reply:
    """One section's editor in place (htmx "edit", "cancel", live refresh); without htmx, the
    whole plan in edit mode."""
    if "closed" in call.request.query_params:  # "Cancel" in an editor: the soft marker goes
        mark_editing(call.request, call.plan_id, call.user, None)
    return one_section(call, f"/plans/{call.plan_id}/edit", edit=True)


def one_section(call: PlanCall, page: str, *, edit: bool) -> Reply:
    section_id = call.param("section_id")
    if not is_htmx(call.request):  # shows nothing here: the plan page is the (audited) read
        return RedirectResponse(f"{page}#section-{section_id}", status_code=303)
    audit_read(call.request, call.access, "section")
    open_ = section_id if edit else None
    return show(PAGE, lambda c: section_context(c, section_id, edit_section=open_), SECTION)


def edit_form(call: PlanCall) -> Reply:
    """The editor for one item: the plan page with it open, or (htmx) just its section."""
    item = item_of(call)
    mark_editing(call.request, call.plan_id, call.user, item.id)
    if is_htmx(call.request):
        opened = partial(section_context, section_id=item.section_id, edit_section=item.section_id)
        return show(PAGE, partial(opened, editing=item.id), SECTION)
    return show(PAGE, lambda c: page_context(c, editing=item.id, edit_all=True))


def confirm_delete(call: PlanCall) -> Reply:
    """Without JavaScript, deleting asks on a page of its own."""
    item = item_of(call)
    return show("plans/confirm_delete.html", lambda c: {"access": c.access, "item": item})


# ---------------------------------------------------------------- items


def add_item(call: PlanCall) -> Reply:
    section_id = call.param("section_id")
    if queries.load_section(call.session, call.plan_id, section_id) is None:
        raise HTTPException(404)
    key = f"new-{section_id}"
    try:
        text = clean_text(call.form)
    except Invalid as bad:
        errors, drafts = {key: _(TEXT_ERRORS[bad.code])}, {key: bad.value}
        return section(call, section_id, 422, errors=errors, drafts=drafts)
    once = Once(call.session, call.user.id, call.form)  # type: ignore[arg-type]
    if once.seen() is None:  # a repeat (double tap) answers like the first, adding nothing
        item = queries.add_item(call.session, call.plan_id, section_id, text, call.user)
        once.made(item.id)
        changed(call, f"item={item.id} add", section_id, item)
    return section(call, section_id)


def edit_item(call: PlanCall) -> Reply:
    item, version, key = item_of(call), call.version, f"item-{call.param('item_id')}"
    try:
        text = clean_text(call.form)
    except Invalid as bad:
        errors, drafts = {key: _(TEXT_ERRORS[bad.code])}, {key: bad.value}
        return section(call, item.section_id, 422, errors=errors, drafts=drafts, editing=item.id)
    queries.edit_item(call.session, item, version, text, call.user)
    changed(call, f"item={item.id} edit", item.section_id, item)
    if presence.editing(call.session, call.plan_id, call.user.id, None):  # type: ignore[arg-type]
        here = Event(plan=call.plan_id, kind="presence")
        announce(shared.broker(call.request), call.session, here)
    return section(call, item.section_id)


def edit_conflict(call: PlanCall, _stale: StaleWrite) -> Reply:
    return item_conflict(call, clean_text(call.form))


def toggle_item(call: PlanCall) -> Reply:
    item = item_of(call)
    queries.set_done(call.session, item, call.version, call.form.get("done") == "1", call.user)
    changed(call, f"item={item.id} done", item.section_id, item)
    return section(call, item.section_id)


def move_item(call: PlanCall) -> Reply:
    item, direction = item_of(call), -1 if call.form.get("direction") == "up" else 1
    queries.move_item(call.session, item, call.version, direction, call.user)
    changed(call, f"item={item.id} move", item.section_id, item)
    return section(call, item.section_id)


def delete_item(call: PlanCall) -> Reply:
    item = item_of(call)
    queries.delete_item(call.session, item, call.version, call.user)
    changed(call, f"item={item.id} delete", item.section_id, item)
    if is_htmx(call.request):
        return section(call, item.section_id, deleted=item)
    return show(PAGE, lambda c: page_context(c, deleted=item, edit_all=True))


def restored_text(form: FormData) -> str | None:
    """From the conflict page (deleted while someone edited it) the restorer's text; an
    emptied text, or a plain undo, restores the item as it was."""
    try:
        return clean_text(form) if "text" in form else None
    except Invalid:
        return None


def restore_item(call: PlanCall) -> Reply:
    """Undo a delete. Conditional on the version the form saw: of two restores one wins, the
    other is shown the conflict (with a text) or told the form is out of date (a plain undo)."""
    item = item_of(call)
    queries.restore_item(call.session, item, call.version, call.user, restored_text(call.form))
    changed(call, f"item={item.id} restore", item.section_id, item)
    return section(call, item.section_id)


def restore_conflict(call: PlanCall, stale_write: StaleWrite) -> Reply:
    text = restored_text(call.form)
    return stale(call, stale_write) if text is None else item_conflict(call, text)


# ---------------------------------------------------------------- sections


def add_section(call: PlanCall) -> Reply:
    try:
        title = clean_text(call.form, "title", MAX_TITLE)
    except Invalid as bad:
        errors, drafts = {"new-section": _(TEXT_ERRORS[bad.code])}, {"new-section": bad.value}
        return respond(
            call,
            page=PAGE,
            partial=None,
            context=lambda c: page_context(c, errors=errors, drafts=drafts, edit_all=True),
            back="",
            status=422,
        )
    once = Once(call.session, call.user.id, call.form)  # type: ignore[arg-type]
    made = once.seen()
    if made is None:
        new = queries.add_section(call.session, call.plan_id, title, call.user)
        once.made(new.id)
        changed(call, f"section={new.id} add")
        made = str(new.id)
    anchor = f"#section-{made}" if made else ""
    return RedirectResponse(f"/plans/{call.plan_id}/edit{anchor}", status_code=303)


def edit_section(call: PlanCall) -> Reply:
    section_id = call.param("section_id")
    view = queries.load_section(call.session, call.plan_id, section_id)
    if view is None:
        raise HTTPException(404)
    key, errors = f"section-{section_id}", {}
    title, review_by = "", None
    try:
        title = clean_text(call.form, "title", MAX_TITLE)
    except Invalid as bad:
        errors[f"{key}-title"] = _(TEXT_ERRORS[bad.code])
    try:
        review_by = parse_date(call.form.get("review_by"))
    except Invalid as bad:
        errors[f"{key}-review_by"] = _(TEXT_ERRORS[bad.code])
    if errors:  # the form stays open with what was typed, each message by its field
        typed = {field: inputs.text(call.form, field) for field in ("title", "review_by")}
        return section(call, section_id, 422, errors=errors, drafts={key: typed})
    queries.edit_section(call.session, view.section, call.version, title, review_by, call.user)
    changed(call, f"section={section_id} edit", section_id)
    return section(call, section_id)


P = "/plans/{plan_id:id}"
T = P + "/items/{item_id:id}"
S = P + "/sections/{section_id:id}"
routes = [
    Route("/plan", endpoint(my_plan, VICTIM, write=True, prepare=plain_call), name="my_plan"),
    route(P, plan_page, name="plan"),
    route(P + "/edit", edit_page, read="edit"),
    route(P + "/print", print_page, read="print"),
    route(P + "/download", download, read="download"),
    route(P + "/sections", add_section, write=True),
    route(S, section_fragment, read=None),
    route(S + "/edit", section_editor, read=None),
    route(S, edit_section, write=True, on_stale=stale),
    route(S + "/items", add_item, write=True),
    route(T, edit_item, write=True, on_stale=edit_conflict),
    route(T + "/edit", edit_form, read="edit"),
    route(T + "/done", toggle_item, write=True, on_stale=stale),
    route(T + "/move", move_item, write=True, on_stale=stale),
    route(T + "/delete", confirm_delete, read="confirm"),
    route(T + "/delete", delete_item, write=True, on_stale=stale),
    route(T + "/restore", restore_item, write=True, on_stale=restore_conflict),
]
