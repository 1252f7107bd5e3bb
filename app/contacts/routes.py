"""Emergency contacts and the alarm, the same page for the victim and a granted caseworker;
the hotlines an organisation admin sets for the victims its caseworkers serve.

Every route: sign-in → access check (sharing) → query → render. Plain forms answer 303 back to
the contacts page; htmx requests get the contact list alone (the same partial the page
includes). A stale write is refused with 409 and the current contact next to what the user
typed. Nothing here sends a message: the alarm is an ``sms:`` link the phone's own SMS app opens.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app import audit, db, i18n, inputs
from app.auth import labels, stepup
from app.auth.access import require
from app.auth.models import Organisation, Role, User
from app.contacts import phones, queries
from app.contacts.models import (
    MAX_CODE_WORD,
    MAX_KNOWS,
    MAX_NAME,
    MAX_RELATION,
    Contact,
    Hotline,
)
from app.i18n import N_, _, ngettext
from app.plans import queries as plan_queries
from app.plans.access import PlanAccess, audit_change, audit_read, plan_access, read_access
from app.web import form_endpoint, is_htmx, render

ERRORS = {
    ("name", "empty"): N_("Write a name."),
    ("name", "long"): N_("The name can be at most 100 characters."),
    ("relation", "long"): N_("The relation can be at most 100 characters."),
    ("knows", "long"): N_("This text can be at most 500 characters."),
    ("code_word", "long"): N_("The code word can be at most 100 characters."),
    ("phone", "empty"): N_("Write a phone number."),
    ("phone", "invalid"): N_(
        "That is not a phone number we can use. Write it like 12 34 56 78, "
        "or with the country code like +46 70 123 45 67."
    ),
}
STALE = N_("The form is out of date. Reload the page and try again.")
TOO_LATE = N_("It is too late to undo: the contact has been removed for good.")
VICTIM_ONLY = N_("Only the person can change a phone number or who gets the alarm.")

# (form field, limit, single line?) — name and phone are required, the rest may be empty.
TEXT_FIELDS = (
    ("name", MAX_NAME, True),
    ("relation", MAX_RELATION, True),
    ("knows", MAX_KNOWS, False),
    ("code_word", MAX_CODE_WORD, True),
)

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


def error(field: str, code: str) -> str:
    """The Danish (or English) message for a bad field."""
    return _(ERRORS[(field, code)])


def _engine(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.engine


def _plan_id(request: Request) -> int:
    return int(request.path_params["plan_id"])


def _page_url(plan_id: int) -> str:
    return f"/plans/{plan_id}/contacts"


# ---------------------------------------------------------------- input


def clean_contact(form: FormData) -> tuple[dict[str, Any], dict[str, str]]:
    """The contact's values, and error messages by field (empty when all is well).

    With errors the values are what was typed (a draft to correct); without, they are clean:
    trimmed, single-line fields on one line, the phone number in E.164.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field, limit, single_line in TEXT_FIELDS:
        raw = inputs.text(form, field, multiline=True, strip=False)
        value = " ".join(raw.split()) if single_line else raw.replace("\r\n", "\n").strip()
        values[field] = value
        if field == "name" and not value:
            errors[field] = error(field, "empty")
        elif len(value) > limit:
            errors[field] = error(field, "long")
    raw_phone = str(form.get("phone", "")).strip()
    try:
        values["phone"] = phones.normalise(raw_phone)
    except phones.BadPhone as bad:
        values["phone"] = raw_phone
        errors["phone"] = error("phone", bad.code)
    values["alarm"] = form.get("alarm") == "1"
    return values, errors


def draft_of(contact: Contact) -> dict[str, Any]:
    """A contact as its edit form shows it."""
    return {
        "name": contact.name,
        "relation": contact.relation,
        "phone": phones.display(contact.phone),
        "knows": contact.knows,
        "code_word": contact.code_word,
        "alarm": contact.alarm,
    }


# ---------------------------------------------------------------- context


def alarm_for(contacts: list[Contact]) -> dict[str, Any]:
    """The alarm link to every contact marked for it, in the current language.

    The body carries the code words of those contacts (each once, in list order).
    """
    recipients = [c for c in contacts if c.alarm]
    numbers = list(dict.fromkeys(c.phone for c in recipients))
    words = list(dict.fromkeys(c.code_word for c in recipients if c.code_word))
    body = _("I need help.")
    if words:
        body += " " + ngettext("Code word: %(words)s", "Code words: %(words)s", len(words)) % {
            "words": ", ".join(words)
        }
    return {
        "recipients": recipients,
        "body": body,
        "href": queries.alarm_href(numbers, body) if numbers else None,
    }


def _context(
    request: Request, session: Session, access: PlanAccess, **extra: Any
) -> dict[str, Any]:
    # The alarm text is built here, so the request's language must be set first.
    i18n.set_locale(i18n.choose_locale(request, access.user.locale))
    contacts = queries.load(session, access.plan.id)  # type: ignore[arg-type]
    return {
        "access": access,
        "contacts": contacts,
        "hotlines": queries.granted_hotlines(session, access.plan.id),  # type: ignore[arg-type]
        "people": labels.changer_labels(session, {c.changed_by_id for c in contacts}),
        "alarm": alarm_for(contacts),
        "phone_display": phones.display,
        "draft_of": draft_of,
        **DEFAULTS,
        **extra,
    }


def _list_response(
    request: Request,
    session: Session,
    access: PlanAccess,
    anchor: str = "contacts",
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """htmx: the contact list alone; a plain form: back to the page (or the page with errors).
    A refused write (4xx) changed nothing but shows the contacts: a read."""
    if status_code != 200:
        audit_read(request, access, "refused", session)
    if is_htmx(request):
        return render(
            request,
            "contacts/contacts.html",
            _context(request, session, access, **extra),
            partial="contacts/_list.html",
            status_code=status_code,
        )
    if status_code != 200:
        return render(
            request,
            "contacts/contacts.html",
            _context(request, session, access, **extra),
            status_code=status_code,
        )
    return RedirectResponse(f"{_page_url(access.plan.id)}#{anchor}", status_code=303)  # type: ignore[arg-type]


def _contact(session: Session, access: PlanAccess, request: Request) -> Contact:
    contact = queries.get_contact(
        session,
        access.plan.id,  # type: ignore[arg-type]
        int(request.path_params["contact_id"]),
    )
    if contact is None:
        raise HTTPException(404)
    return contact


# ---------------------------------------------------------------- pages


def my_contacts(request: Request) -> Response:
    """The victim's own contacts. A victim without a plan yet goes to /plan, which makes it
    (the plans module owns how a plan is created)."""
    user = require(request, Role.victim)
    with db.read_session(_engine(request)) as session:
        plan = plan_queries.plan_of(session, user.id)  # type: ignore[arg-type]
    target = _page_url(plan.id) if plan is not None else "/plan"  # type: ignore[arg-type]
    return RedirectResponse(target, status_code=303)


def contacts_page(request: Request) -> Response:
    user = require(request, Role.victim, Role.caseworker)
    with db.read_session(_engine(request)) as session:
        access = read_access(request, session, user, "contacts")
        deleted = None
        deleted_id = inputs.parse_id(request.query_params.get("deleted"))
        if deleted_id is not None:  # after a plain-form delete: offer "undo"
            candidate = queries.get_contact(session, access.plan.id, deleted_id)  # type: ignore[arg-type]
            deleted = candidate if queries.undoable(candidate) else None
        context = _context(request, session, access, deleted=deleted)
    return render(request, "contacts/contacts.html", context)


# ---------------------------------------------------------------- contacts


def _victim_decides(access: PlanAccess, values: dict[str, Any], contact: Contact | None) -> None:
    """Where the alarm goes is the victim's decision alone (docs/design.md §2 point 5: someone may
    phone
    a caseworker pretending to be the victim). A caseworker cannot change an existing contact's
    number, nor make anyone an alarm recipient."""
    if access.is_victim:
        return
    values["alarm"] = contact.alarm if contact is not None else False
    if contact is not None:
        values["phone"] = contact.phone


def _fresh_needed(
    request: Request,
    session: Session,
    access: PlanAccess,
    form: str,
    values: dict[str, Any] | None,
    **extra: Any,
) -> Response:
    """Who gets the alarm changes only after a fresh passkey check (issue 12 point 1): the same
    form again with what she typed, and a way to the check that comes back here."""
    drafts = {form: {**values, "phone": _shown_phone(values["phone"])}} if values else {}
    back = _page_url(access.plan.id)  # type: ignore[arg-type]
    if "deleted" in extra:  # the way back still offers "undo"
        back += f"?deleted={extra['deleted'].id}"
    return _list_response(
        request,
        session,
        access,
        status_code=403,
        drafts=drafts,
        fresh_needed=stepup.needed(back, form),
        **extra,
    )


def _alarm_refused(
    request: Request, session: Session, access: PlanAccess, contact: Contact
) -> Response | None:
    """Deleting an alarm contact changes who gets the alarm: the victim only, after a fresh
    passkey check. ``None`` when it may go ahead."""
    if access.is_victim and stepup.is_fresh(request):
        return None
    fresh, notice = None, _(VICTIM_ONLY)  # a caseworker: never
    if access.is_victim:  # the victim: after the check, which comes back to this page
        fresh = stepup.needed(f"{_page_url(access.plan.id)}/{contact.id}/delete")  # type: ignore[arg-type]
        notice = None
    if is_htmx(request):
        return _list_response(
            request, session, access, status_code=403, notice=notice, fresh_needed=fresh
        )
    return _confirm_delete_page(request, access, contact, 403, fresh, notice)


def add_contact(request: Request, form: FormData) -> Response:
    user = require(request, Role.victim, Role.caseworker)
    with db.write_session(_engine(request)) as session:
        access = plan_access(session, user, _plan_id(request))
        values, errors = clean_contact(form)
        if errors:
            return _list_response(
                request,
                session,
                access,
                status_code=422,
                errors={f"new-{k}": v for k, v in errors.items()},
                drafts={"new": values},
            )
        _victim_decides(access, values, None)
        if values["alarm"] and not stepup.is_fresh(request):
            return _fresh_needed(request, session, access, "new", values)
        contact = queries.add_contact(session, access.plan.id, values, user)  # type: ignore[arg-type]
        audit_change(request, session, access, f"contact={contact.id} add")
        return _list_response(request, session, access, anchor=f"contact-{contact.id}")


def edit_contact(request: Request, form: FormData) -> Response:
    user = require(request, Role.victim, Role.caseworker)
    with db.write_session(_engine(request)) as session:
        access = plan_access(session, user, _plan_id(request))
        contact = _contact(session, access, request)
        version = inputs.version(form)
        values, errors = clean_contact(form)
        if contact.deleted_at is not None:  # deleted meanwhile: show what was typed
            return _conflict(request, session, access, contact, None, values)
        if errors:
            return _list_response(
                request,
                session,
                access,
                status_code=422,
                errors={f"c{contact.id}-{k}": v for k, v in errors.items()},
                drafts={f"c{contact.id}": values},
            )
        _victim_decides(access, values, contact)
        changes_alarm = values["alarm"] != contact.alarm or (
            contact.alarm and values["phone"] != contact.phone
        )
        if changes_alarm and not stepup.is_fresh(request):
            return _fresh_needed(request, session, access, f"c{contact.id}", values)
        try:
            queries.edit_contact(session, contact, version, values, user)
        except queries.StaleWrite as stale:
            session.rollback()
            return _conflict(request, session, access, contact, stale.current, values)
        audit_change(request, session, access, f"contact={contact.id} edit")
        return _list_response(request, session, access, anchor=f"contact-{contact.id}")


def _conflict(
    request: Request,
    session: Session,
    access: PlanAccess,
    contact: Contact,
    current: Contact | None,
    mine: dict[str, Any],
) -> Response:
    """Never a silent overwrite: show the contact as it is now next to what the user typed.
    For htmx the page replaces the main content, and its forms are plain forms. It shows the
    contact as it is now: a read."""
    audit_read(request, access, "conflict", session)
    headers = {"HX-Retarget": "#main", "HX-Reswap": "innerHTML"} if is_htmx(request) else None
    mine = {**mine, "phone": _shown_phone(mine["phone"])}
    return render(
        request,
        "contacts/conflict.html",
        {
            "access": access,
            "contact": contact,
            "current": current,
            "theirs": draft_of(current) if current else None,
            "mine": mine,
            "errors": {},
        },
        status_code=409,
        headers=headers,
    )


def _shown_phone(value: str) -> str:
    return phones.display(value) if value.startswith("+") else value


def move_contact(request: Request, form: FormData) -> Response:
    user = require(request, Role.victim, Role.caseworker)
    direction = -1 if form.get("direction") == "up" else 1
    with db.write_session(_engine(request)) as session:
        access = plan_access(session, user, _plan_id(request))
        contact = _contact(session, access, request)
        try:
            queries.move_contact(session, contact, inputs.version(form), direction, user)
        except queries.StaleWrite:
            session.rollback()
            return _list_response(request, session, access, status_code=409, notice=_(STALE))
        audit_change(request, session, access, f"contact={contact.id} move")
        return _list_response(request, session, access, anchor=f"contact-{contact.id}")


def confirm_delete(request: Request) -> Response:
    """Without JavaScript, deleting asks on a page of its own."""
    user = require(request, Role.victim, Role.caseworker)
    with db.read_session(_engine(request)) as session:
        access = read_access(request, session, user, "contact_confirm")
        contact = _contact(session, access, request)
    if contact.deleted_at is not None:
        return RedirectResponse(_page_url(access.plan.id), status_code=303)  # type: ignore[arg-type]
    return _confirm_delete_page(request, access, contact)


def _confirm_delete_page(
    request: Request,
    access: PlanAccess,
    contact: Contact,
    status_code: int = 200,
    fresh_needed: dict[str, Any] | None = None,
    notice: str | None = None,
) -> Response:
    return render(
        request,
        "contacts/confirm_delete.html",
        {
            "access": access,
            "contact": contact,
            "phone_display": phones.display,
            "undo_minutes": int(queries.UNDO_WINDOW.total_seconds() // 60),
            "fresh_needed": fresh_needed,
            "notice": notice,
        },
        status_code=status_code,
    )


def delete_contact(request: Request, form: FormData) -> Response:
    user = require(request, Role.victim, Role.caseworker)
    with db.write_session(_engine(request)) as session:
        access = plan_access(session, user, _plan_id(request))
        contact = _contact(session, access, request)
        if contact.alarm and (refused := _alarm_refused(request, session, access, contact)):
            return refused
        try:
            queries.delete_contact(session, contact, inputs.version(form), user)
        except queries.StaleWrite:
            session.rollback()
            return _list_response(request, session, access, status_code=409, notice=_(STALE))
        audit_change(request, session, access, f"contact={contact.id} delete")
        if is_htmx(request):
            return _list_response(request, session, access, deleted=contact)
    return RedirectResponse(
        f"{_page_url(access.plan.id)}?deleted={contact.id}#contacts",  # type: ignore[arg-type]
        status_code=303,
    )


def restore_contact(request: Request, form: FormData) -> Response:
    """Undo a delete, within the undo window, conditional on the version the form saw. Someone
    else's undo brings the contact back without the alarm: only the victim turns it on."""
    user = require(request, Role.victim, Role.caseworker)
    with db.write_session(_engine(request)) as session:
        access = plan_access(session, user, _plan_id(request))
        contact = _contact(session, access, request)
        version = inputs.version(form)
        if contact.deleted_at is not None and not queries.undoable(contact):
            return _list_response(request, session, access, status_code=409, notice=_(TOO_LATE))
        if contact.alarm and access.is_victim and not stepup.is_fresh(request):
            return _fresh_needed(request, session, access, "restore", None, deleted=contact)
        values: dict[str, Any] = {"alarm": contact.alarm}
        _victim_decides(access, values, None)  # as if the caseworker added it anew
        alarm_off = " alarm_off" if contact.alarm and not values["alarm"] else ""
        try:
            queries.restore_contact(session, contact, version, user, values["alarm"])
        except queries.StaleWrite:
            session.rollback()
            return _list_response(request, session, access, status_code=409, notice=_(STALE))
        audit_change(request, session, access, f"contact={contact.id} restore{alarm_off}")
        return _list_response(request, session, access, anchor=f"contact-{contact.id}")


# ---------------------------------------------------------------- hotlines (org admin)


def _hotlines_page(
    request: Request, session: Session, admin: User, status_code: int = 200, **extra: Any
) -> Response:
    org = session.get(Organisation, admin.organisation_id)
    if org is None:
        raise HTTPException(404)
    context = {
        "org": org,
        "lines": queries.org_hotlines(session, org.id),  # type: ignore[arg-type]
        "phone_display": phones.display,
        "errors": {},
        "drafts": {},
        **extra,
    }
    return render(request, "contacts/hotlines.html", context, status_code=status_code)


def hotlines_page(request: Request) -> Response:
    admin = require(request, Role.org_admin)
    with db.read_session(_engine(request)) as session:
        return _hotlines_page(request, session, admin)


def add_hotline(request: Request, form: FormData) -> Response:
    admin = require(request, Role.org_admin)
    name = " ".join(inputs.text(form, "name", multiline=True).split())
    raw_phone = str(form.get("phone", "")).strip()
    errors: dict[str, str] = {}
    if not name:
        errors["hotline-name"] = error("name", "empty")
    elif len(name) > MAX_NAME:
        errors["hotline-name"] = error("name", "long")
    phone = ""
    try:
        phone = phones.normalise(raw_phone)
    except phones.BadPhone as bad:
        errors["hotline-phone"] = error("phone", bad.code)
    with db.write_session(_engine(request)) as session:
        if errors:
            drafts = {"name": name, "phone": raw_phone}
            return _hotlines_page(
                request, session, admin, status_code=422, errors=errors, drafts=drafts
            )
        line = queries.add_hotline(session, admin.organisation_id, name, phone, admin)  # type: ignore[arg-type]
        audit.record(
            session,
            "hotline_added",
            actor_id=admin.id,
            ip=audit.request_ip(request),
            detail=f"hotline={line.id}",
        )
    return RedirectResponse("/admin/hotlines", status_code=303)


def delete_hotline(request: Request) -> Response:
    admin = require(request, Role.org_admin)
    with db.write_session(_engine(request)) as session:
        line = session.get(Hotline, int(request.path_params["hotline_id"]))
        if line is None or line.organisation_id != admin.organisation_id:
            raise HTTPException(404)
        session.delete(line)
        audit.record(
            session,
            "hotline_deleted",
            actor_id=admin.id,
            ip=audit.request_ip(request),
            detail=f"hotline={line.id}",
        )
    return RedirectResponse("/admin/hotlines", status_code=303)


P = "/plans/{plan_id:id}/contacts"
C = P + "/{contact_id:id}"
routes = [
    Route("/contacts", my_contacts, name="my_contacts"),
    Route(P, contacts_page, name="contacts"),
    Route(P, form_endpoint(add_contact), methods=["POST"]),
    Route(C, form_endpoint(edit_contact), methods=["POST"]),
    Route(C + "/move", form_endpoint(move_contact), methods=["POST"]),
    Route(C + "/delete", confirm_delete),
    Route(C + "/delete", form_endpoint(delete_contact), methods=["POST"]),
    Route(C + "/restore", form_endpoint(restore_contact), methods=["POST"]),
    Route("/admin/hotlines", hotlines_page, name="hotlines"),
    Route("/admin/hotlines", form_endpoint(add_hotline), methods=["POST"]),
    Route("/admin/hotlines/{hotline_id:id}/delete", delete_hotline, methods=["POST"]),
]
