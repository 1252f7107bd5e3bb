"""An organisation admin edits the organisation's copy of the plan template.

One form: per section a Danish and an English title and the items one per line in each
language. An empty Danish title removes the section; a blank row at the end adds one.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app import audit, inputs
from app.auth.endpoints import Call, Later, Reply, endpoint, plain_call
from app.auth.models import Role, User
from app.i18n import N_, _
from app.plans import template as tpl
from app.plans.models import OrgTemplate
from app.plans.queries import template_for
from app.versions import StaleWrite, conditional_update
from app.web import render

ERRORS = {
    "title": N_("Each section needs a Danish and an English heading (at most 100 characters)."),
    "lines": N_("Write the same number of lines in Danish and in English."),
    "item": N_("Each line can be at most 500 characters."),
    "items": N_("A section can have at most 50 items."),
    "sections": N_("The template can have at most 40 sections."),
    "empty": N_("The template needs at least one section."),
}
STALE = N_("Someone else saved the template meanwhile. Here is their version.")


def _lines(form: FormData, field: str) -> list[str]:
    value = inputs.text(form, field, multiline=True)
    return [line.strip() for line in value.splitlines() if line.strip()]


def parse(form: FormData) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """The form as template JSON rows, plus errors by row number (nothing is saved on error)."""
    rows: list[dict[str, Any]] = []
    errors: dict[int, str] = {}
    count = inputs.form_int(form, "count", high=tpl.MAX_SECTIONS + 1, default=0)
    keys: set[str] = set()
    for i in range(count):
        da, en = inputs.text(form, f"s{i}-da"), inputs.text(form, f"s{i}-en")
        items_da, items_en = _lines(form, f"s{i}-items-da"), _lines(form, f"s{i}-items-en")
        if not da and not en and not items_da and not items_en:
            continue  # removed, or the blank row left blank
        key = inputs.text(form, f"s{i}-key") or f"org{i}"
        if not key.isascii() or not key.replace("_", "").isalnum() or key in keys:
            key = f"org{i}"
        keys.add(key)
        row = {
            "key": key.lower()[:40],
            "da": da,
            "en": en,
            "items": [{"da": d, "en": e} for d, e in zip(items_da, items_en, strict=False)],
        }
        rows.append(row)
        if not da or not en or len(da) > tpl.MAX_TITLE or len(en) > tpl.MAX_TITLE:
            errors[i] = ERRORS["title"]
        elif len(items_da) != len(items_en):
            errors[i] = ERRORS["lines"]
        elif any(len(t) > tpl.MAX_TEXT for t in items_da + items_en):
            errors[i] = ERRORS["item"]
        elif len(items_da) > tpl.MAX_ITEMS:
            errors[i] = ERRORS["items"]
    if not rows:
        errors[-1] = ERRORS["empty"]
    elif len(rows) > tpl.MAX_SECTIONS:
        errors[-1] = ERRORS["sections"]
    return rows, errors


def _row(session: Session, admin: User) -> OrgTemplate | None:
    return session.exec(
        select(OrgTemplate).where(OrgTemplate.organisation_id == admin.organisation_id)
    ).first()


def page(status: int = 200, **extra: Any) -> Later:
    """The template form, rendered once any write has committed."""

    def later(call: Call) -> Response:
        row = _row(call.session, call.user)
        context = {
            "sections": tpl.as_json(template_for(call.session, call.user.organisation_id)),
            "version": row.version if row else 0,
            "own_copy": row is not None,
            "errors": {},
            "notice": None,
            **extra,
        }
        return render(call.request, "orgs/template.html", context, status_code=status)

    return later


def template_page(call: Call) -> Reply:
    return page()


def save_template(call: Call) -> Reply:
    """A versioned write like a plan's: on the version the form saw (0: no own copy yet)."""
    rows, errors = parse(call.form)
    seen, admin = inputs.version(call.form, default=0), call.user
    if errors:
        return page(422, errors={k: _(v) for k, v in errors.items()}, sections=rows)
    data = json.dumps(tpl.as_json(tpl.from_json(rows)), ensure_ascii=False)
    row = _row(call.session, admin)
    if row is not None:
        conditional_update(call.session, row, seen, admin, data=data)
    elif seen != 0:  # reset meanwhile
        raise StaleWrite(None)
    else:
        org_id = admin.organisation_id
        call.session.add(OrgTemplate(organisation_id=org_id, data=data, changed_by_id=admin.id))  # type: ignore[arg-type]
        try:
            call.session.flush()
        except IntegrityError:  # another admin's first copy came first
            raise StaleWrite(None) from None
    detail = f"sections={len(rows)}"
    audit.record(call.session, "org_template_saved", actor_id=admin.id, detail=detail)
    return RedirectResponse("/admin/template", status_code=303)


def stale(call: Call, _stale: StaleWrite) -> Reply:
    return page(409, notice=_(STALE))


def reset_template(call: Call) -> Reply:
    """Back to the default template (new plans only; existing plans are the victims')."""
    row = _row(call.session, call.user)
    if row is not None:
        call.session.delete(row)
        audit.record(call.session, "org_template_reset", actor_id=call.user.id)
    return RedirectResponse("/admin/template", status_code=303)


ADMIN = (Role.org_admin,)
routes = [
    Route("/admin/template", endpoint(template_page, ADMIN, write=False, prepare=plain_call)),
    Route(
        "/admin/template",
        endpoint(save_template, ADMIN, write=True, prepare=plain_call, on_stale=stale),
        methods=["POST"],
    ),
    Route(
        "/admin/template/reset",
        endpoint(reset_template, ADMIN, write=True, prepare=plain_call),
        methods=["POST"],
    ),
]
