"""The hotlines an organisation admin sets for the victims its caseworkers serve (each victim
sees the lines of every organisation with a caseworker granted her plan)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app import audit, inputs
from app.auth.endpoints import Call, Handler, Reply, endpoint, plain_call
from app.auth.models import Organisation, Role
from app.contacts import phones, queries
from app.contacts.forms import error
from app.contacts.models import MAX_NAME, Hotline
from app.web import render

ADMIN = (Role.org_admin,)


def page(status: int = 200, **extra: Any) -> Reply:
    """The organisation's lines (rendered after any write has committed)."""

    def later(call: Call) -> Response:
        org = call.session.get(Organisation, call.user.organisation_id)
        if org is None:
            raise HTTPException(404)
        context = {
            "org": org,
            "lines": queries.org_hotlines(call.session, org.id),  # type: ignore[arg-type]
            "phone_display": phones.display,
            "errors": {},
            "drafts": {},
            **extra,
        }
        return render(call.request, "orgs/hotlines.html", context, status_code=status)

    return later


def hotlines_page(call: Call) -> Reply:
    return page()


def add_hotline(call: Call) -> Reply:
    name = " ".join(inputs.text(call.form, "name", multiline=True).split())
    raw_phone = str(call.form.get("phone", "")).strip()
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
    if errors:
        return page(422, errors=errors, drafts={"name": name, "phone": raw_phone})
    admin = call.user
    line = queries.add_hotline(call.session, admin.organisation_id, name, phone, admin)  # type: ignore[arg-type]
    ip, detail = audit.request_ip(call.request), f"hotline={line.id}"
    audit.record(call.session, "hotline_added", actor_id=admin.id, ip=ip, detail=detail)
    return RedirectResponse("/admin/hotlines", status_code=303)


def delete_hotline(call: Call) -> Reply:
    line = call.session.get(Hotline, call.param("hotline_id"))
    if line is None or line.organisation_id != call.user.organisation_id:
        raise HTTPException(404)
    call.session.delete(line)
    ip = audit.request_ip(call.request)
    detail = f"hotline={line.id}"
    audit.record(call.session, "hotline_deleted", actor_id=call.user.id, ip=ip, detail=detail)
    return RedirectResponse("/admin/hotlines", status_code=303)


def _admin(handler: Handler[Call], write: bool) -> Callable[[Request], Awaitable[Response]]:
    return endpoint(handler, ADMIN, write=write, prepare=plain_call)


routes = [
    Route("/admin/hotlines", _admin(hotlines_page, False), name="hotlines"),
    Route("/admin/hotlines", _admin(add_hotline, True), methods=["POST"]),
    Route("/admin/hotlines/{hotline_id:id}/delete", _admin(delete_hotline, True), methods=["POST"]),
]
