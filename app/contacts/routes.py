"""Emergency contacts and the alarm, the same page for the victim and a granted caseworker.

Each route is a declaration on :mod:`app.plans.resource`. Plain forms answer 303 back to the
contacts page; htmx requests get the contact list alone (the same partial the page includes).
A stale write is refused with 409 and the current contact next to what the user typed.
Nothing here sends a message: the alarm is an ``sms:`` link the phone's own SMS app opens.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import RedirectResponse
from starlette.routing import Route

from app import i18n, inputs
from app.auth import labels, stepup
from app.auth.endpoints import Call, Reply, endpoint, plain_call
from app.auth.models import Role
from app.contacts import national, phones, queries
from app.contacts.forms import alarm_for, clean_contact, draft_of, shown
from app.contacts.models import Contact
from app.i18n import N_, _
from app.plans import queries as plan_queries
from app.plans.once import Once
from app.plans.resource import STALE, PlanCall, conflict, respond, route, show
from app.plans.views import FIRST_SCREEN
from app.versions import StaleWrite
from app.web import is_htmx

TOO_LATE = N_("It is too late to undo: the contact has been removed for good.")
VICTIM_ONLY = N_("Only the person can change a phone number or who gets the alarm.")
PAGE, LIST = "contacts/contacts.html", "contacts/_list.html"

# What the contact templates expect besides the contacts: errors keyed "<form>-<field>", drafts
# keyed by form ("new", "c12"), a notice, the contact just deleted (for "undo"), the missing
# passkey check.
DEFAULTS: dict[str, Any] = {
    "errors": {},
    "drafts": {},
    "notice": None,
    "deleted": None,
    "fresh_needed": None,  # the fresh passkey check is missing (stepup.needed)
}


def page_url(plan_id: int) -> str:
    return f"/plans/{plan_id}/contacts"


def page_context(call: PlanCall, **extra: Any) -> dict[str, Any]:
    contacts = load_contacts(call)
    return {
        "access": call.access,
        "contacts": contacts,
        "hotlines": queries.granted_hotlines(call.session, call.plan_id),
        "national_lines": national.LINES,
        "people": labels.changer_labels(call.session, {c.changed_by_id for c in contacts}),
        "alarm": alarm_for(contacts),
        "phone_display": phones.display,
        "draft_of": draft_of,
        **DEFAULTS,
        **extra,
    }


def load_contacts(call: PlanCall) -> list[Contact]:
    # The alarm text is built from them, so the request's language must be set first.
    i18n.set_locale(i18n.choose_locale(call.request, call.user.locale))
    return queries.load(call.session, call.plan_id)


def alarm_on_plan(call: PlanCall) -> dict[str, Any]:
    """The alarm button on the first screen of the victim's plan, the same as on this page."""
    return {"alarm": alarm_for(load_contacts(call))}


FIRST_SCREEN.append(alarm_on_plan)


def contact_list(call: PlanCall, status: int = 200, anchor: str = "", **extra: Any) -> Reply:
    """The answer to a write (see :func:`app.plans.resource.respond`)."""
    return respond(
        call,
        page=PAGE,
        partial=LIST,
        context=lambda c: page_context(c, **extra),
        back=f"{page_url(call.plan_id)}#{anchor or 'contacts'}",
        status=status,
    )


def contact_of(call: PlanCall) -> Contact:
    return call.row(Contact, "contact_id")


def stale(call: PlanCall, _stale: StaleWrite) -> Reply:
    return contact_list(call, 409, notice=_(STALE))


def victim_decides(call: PlanCall, values: dict[str, Any], contact: Contact | None) -> None:
    """Where the alarm goes is the victim's decision alone (docs/design.md §2 point 5: someone
    may phone a caseworker pretending to be the victim). A caseworker cannot change an existing
    contact's number, nor make anyone an alarm recipient."""
    if call.access.is_victim:
        return
    values["alarm"] = contact.alarm if contact is not None else False
    if contact is not None:
        values["phone"] = contact.phone


def fresh_needed(call: PlanCall, form: str, values: dict[str, Any] | None, **extra: Any) -> Reply:
    """Who gets the alarm changes only after a fresh passkey check (issue 12 point 1): the same
    form again with what she typed, and a way to the check that comes back here."""
    back = page_url(call.plan_id)
    if "deleted" in extra:  # the way back still offers "undo"
        back += f"?deleted={extra['deleted'].id}"
    drafts = {form: shown(values)} if values else {}
    check = stepup.needed(back, form)
    return contact_list(call, 403, drafts=drafts, fresh_needed=check, **extra)


def contact_conflict(call: PlanCall, mine: dict[str, Any]) -> Reply:
    """The contact as it is now (None when deleted) next to what the user typed."""

    def context(c: PlanCall) -> dict[str, Any]:
        contact = contact_of(c)
        current = None if contact.deleted_at else contact
        return {
            **{"access": c.access, "contact": contact, "current": current},
            **{"theirs": draft_of(current) if current else None, "mine": shown(mine)},
            "errors": {},
        }

    return conflict(call, "contacts/conflict.html", context)


def delete_page(call: PlanCall, contact: Contact, status: int = 200, **extra: Any) -> Reply:
    """Without JavaScript, deleting asks on a page of its own."""
    minutes = int(queries.UNDO_WINDOW.total_seconds() // 60)
    context = {"contact": contact, "phone_display": phones.display, "undo_minutes": minutes}
    context |= {"fresh_needed": None, "notice": None, **extra}
    template = "contacts/confirm_delete.html"
    return show(template, lambda c: {"access": c.access, **context}, status=status)


# ---------------------------------------------------------------- pages


def my_contacts(call: Call) -> Reply:
    """The victim's own contacts. A victim without a plan yet goes to /plan, which makes it
    (the plans module owns how a plan is created)."""
    plan = plan_queries.plan_of(call.session, call.user.id)  # type: ignore[arg-type]
    target = page_url(plan.id) if plan is not None else "/plan"  # type: ignore[arg-type]
    return RedirectResponse(target, status_code=303)


def contacts_page(call: PlanCall) -> Reply:
    # After a plain-form delete: offer "undo" while it is possible.
    candidate = call.find(Contact, inputs.parse_id(call.request.query_params.get("deleted")))
    deleted = candidate if queries.undoable(candidate) else None
    return show(PAGE, lambda c: page_context(c, deleted=deleted))


def confirm_delete(call: PlanCall) -> Reply:
    contact = contact_of(call)
    if contact.deleted_at is not None:
        return RedirectResponse(page_url(call.plan_id), status_code=303)
    return delete_page(call, contact)


# ---------------------------------------------------------------- contacts


def add_contact(call: PlanCall) -> Reply:
    values, errors = clean_contact(call.form)
    if errors:
        errors = {f"new-{k}": v for k, v in errors.items()}
        return contact_list(call, 422, errors=errors, drafts={"new": values})
    victim_decides(call, values, None)
    if values["alarm"] and not stepup.is_fresh(call.request):
        return fresh_needed(call, "new", values)
    once = Once(call.session, call.user.id, call.form)  # type: ignore[arg-type]
    made = once.seen()  # a repeat (double tap) answers like the first, adding nothing
    if made is None:
        contact = queries.add_contact(call.session, call.plan_id, values, call.user)
        once.made(contact.id)
        call.audit_change(f"contact={contact.id} add")
        made = str(contact.id)
    return contact_list(call, anchor=f"contact-{made}" if made else "")


def edit_contact(call: PlanCall) -> Reply:
    contact, version, key = contact_of(call), call.version, f"c{call.param('contact_id')}"
    values, errors = clean_contact(call.form)
    if contact.deleted_at is not None:  # deleted meanwhile: show what was typed
        return contact_conflict(call, values)
    if errors:
        errors = {f"{key}-{k}": v for k, v in errors.items()}
        return contact_list(call, 422, errors=errors, drafts={key: values})
    victim_decides(call, values, contact)
    changes_alarm = values["alarm"] != contact.alarm or (
        contact.alarm and values["phone"] != contact.phone
    )
    if changes_alarm and not stepup.is_fresh(call.request):
        return fresh_needed(call, key, values)
    queries.edit_contact(call.session, contact, version, values, call.user)
    call.audit_change(f"contact={contact.id} edit")
    return contact_list(call, anchor=f"contact-{contact.id}")


def edit_conflict(call: PlanCall, _stale: StaleWrite) -> Reply:
    values, _errors = clean_contact(call.form)
    victim_decides(call, values, contact_of(call))
    return contact_conflict(call, values)


def move_contact(call: PlanCall) -> Reply:
    contact, direction = contact_of(call), -1 if call.form.get("direction") == "up" else 1
    queries.move_contact(call.session, contact, call.version, direction, call.user)
    call.audit_change(f"contact={contact.id} move")
    return contact_list(call, anchor=f"contact-{contact.id}")


def alarm_refused(call: PlanCall, contact: Contact) -> Reply | None:
    """Deleting an alarm contact changes who gets the alarm: the victim only, after a fresh
    passkey check. ``None`` when it may go ahead."""
    if call.access.is_victim and stepup.is_fresh(call.request):
        return None
    notice: str | None = _(VICTIM_ONLY)  # a caseworker: never
    fresh = None
    if call.access.is_victim:  # the victim: after the check, which comes back to this page
        fresh, notice = stepup.needed(f"{page_url(call.plan_id)}/{contact.id}/delete"), None
    if is_htmx(call.request):
        return contact_list(call, 403, notice=notice, fresh_needed=fresh)
    return delete_page(call, contact, 403, fresh_needed=fresh, notice=notice)


def delete_contact(call: PlanCall) -> Reply:
    contact = contact_of(call)
    if contact.alarm and (refused := alarm_refused(call, contact)):
        return refused
    queries.delete_contact(call.session, contact, call.version, call.user)
    call.audit_change(f"contact={contact.id} delete")
    if is_htmx(call.request):
        return contact_list(call, deleted=contact)
    return RedirectResponse(f"{page_url(call.plan_id)}?deleted={contact.id}#contacts", 303)


def restore_contact(call: PlanCall) -> Reply:
    """Undo a delete, within the undo window, conditional on the version the form saw. Someone
    else's undo brings the contact back without the alarm: only the victim turns it on."""
    contact, version = contact_of(call), call.version
    if contact.deleted_at is not None and not queries.undoable(contact):
        return contact_list(call, 409, notice=_(TOO_LATE))
    if contact.alarm and call.access.is_victim and not stepup.is_fresh(call.request):
        return fresh_needed(call, "restore", None, deleted=contact)
    values: dict[str, Any] = {"alarm": contact.alarm}
    victim_decides(call, values, None)  # as if the caseworker added it anew
    alarm_off = " alarm_off" if contact.alarm and not values["alarm"] else ""
    queries.restore_contact(call.session, contact, version, call.user, values["alarm"])
    call.audit_change(f"contact={contact.id} restore{alarm_off}")
    return contact_list(call, anchor=f"contact-{contact.id}")


P = "/plans/{plan_id:id}/contacts"
C = P + "/{contact_id:id}"
routes = [
    Route("/contacts", endpoint(my_contacts, (Role.victim,), write=False, prepare=plain_call)),
    route(P, contacts_page, read="contacts", name="contacts"),
    route(P, add_contact, write=True),
    route(C, edit_contact, write=True, on_stale=edit_conflict),
    route(C + "/move", move_contact, write=True, on_stale=stale),
    route(C + "/delete", confirm_delete, read="contact_confirm"),
    route(C + "/delete", delete_contact, write=True, on_stale=stale),
    route(C + "/restore", restore_contact, write=True, on_stale=stale),
]
