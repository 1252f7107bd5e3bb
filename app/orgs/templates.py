"""An organisation admin edits the organisation's copy of the plan template.

One form: per section a Danish and an English title and the items one per line in each
language. An empty Danish title removes the section; a blank row at the end adds one.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app import audit, db, inputs, state
from app.auth.access import require
from app.auth.models import Role, User
from app.clock import now
from app.i18n import N_, _
from app.plans import template as tpl
from app.plans.models import OrgTemplate
from app.plans.queries import template_for
from app.web import form_endpoint, render

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


def _context(session: Session, admin: User, **extra: Any) -> dict[str, Any]:
    row = _row(session, admin)
    sections = tpl.as_json(template_for(session, admin.organisation_id))
    return {
        "sections": sections,
        "version": row.version if row else 0,
        "own_copy": row is not None,
        "errors": {},
        "notice": None,
        **extra,
    }


def template_page(request: Request) -> Response:
    admin = require(request, Role.org_admin)
    with db.read_session(state.engine(request)) as session:
        context = _context(session, admin)
    return render(request, "orgs/template.html", context)


def save_template(request: Request, form: FormData) -> Response:
    admin = require(request, Role.org_admin)
    rows, errors = parse(form)
    seen = inputs.version(form, default=0)
    with db.write_session(state.engine(request)) as session:
        if errors:
            shown = {k: _(v) for k, v in errors.items()}
            context = _context(session, admin, errors=shown) | {"sections": rows}
            return render(request, "orgs/template.html", context, status_code=422)
        data = json.dumps(tpl.as_json(tpl.from_json(rows)), ensure_ascii=False)
        row = _row(session, admin)
        if (row.version if row else 0) != seen:
            context = _context(session, admin, notice=_(STALE))
            return render(request, "orgs/template.html", context, status_code=409)
        if row is None:
            row = OrgTemplate(
                organisation_id=admin.organisation_id,  # type: ignore[arg-type]
                data=data,
                changed_by_id=admin.id,
            )
        else:
            row.data, row.version = data, row.version + 1
            row.changed_by_id, row.changed_at = admin.id, now()
        session.add(row)
        audit.record(
            session, "org_template_saved", actor_id=admin.id, detail=f"sections={len(rows)}"
        )
    return RedirectResponse("/admin/template", status_code=303)


def reset_template(request: Request) -> Response:
    """Back to the default template (new plans only; existing plans are the victims')."""
    admin = require(request, Role.org_admin)
    with db.write_session(state.engine(request)) as session:
        row = _row(session, admin)
        if row is not None:
            session.delete(row)
            audit.record(session, "org_template_reset", actor_id=admin.id)
    return RedirectResponse("/admin/template", status_code=303)


routes = [
    Route("/admin/template", template_page),
    Route("/admin/template", form_endpoint(save_template), methods=["POST"]),
    Route("/admin/template/reset", reset_template, methods=["POST"]),
]
