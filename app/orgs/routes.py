"""Organisation admins: add caseworkers, give them enrolment codes, disable them.

Admins never see plans; they manage people of their own organisation only.
"""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app import audit, db, inputs, state
from app.auth import codes, sessions
from app.auth.access import require
from app.auth.issuing import clean_name, code_page, context_for_admin, issue_code
from app.auth.models import Organisation, Role, User
from app.i18n import _
from app.web import form_endpoint, render


def _org(session: Session, admin: User) -> Organisation:
    org = session.get(Organisation, admin.organisation_id)
    assert org is not None
    return org


def _my_caseworker(session: Session, admin: User, user_id: int) -> User:
    person = session.get(User, user_id)
    if (
        person is None
        or person.role != Role.caseworker
        or person.organisation_id != admin.organisation_id
    ):
        raise HTTPException(404)
    return person


def admin_page(request: Request) -> Response:
    admin = require(request, Role.org_admin)
    with db.read_session(state.engine(request)) as session:
        ctx = context_for_admin(session, admin) | {"org": _org(session, admin)}
    return render(request, "orgs/admin.html", ctx | {"errors": {}, "name": ""})


def create_caseworker(request: Request, form: FormData) -> Response:
    admin = require(request, Role.org_admin)
    name, error = clean_name(inputs.text(form, "display_name", multiline=True))
    with db.write_session(state.engine(request)) as session:
        if error:
            ctx = context_for_admin(session, admin) | {"org": _org(session, admin)}
            return render(
                request,
                "orgs/admin.html",
                ctx | {"errors": {"display_name": _(error)}, "name": name},
                status_code=400,
            )
        person = User(
            role=Role.caseworker,
            display_name=name,
            organisation_id=admin.organisation_id,
            enrolled_by_id=admin.id,
        )
        session.add(person)
        session.flush()
        audit.record(session, "caseworker_created", actor_id=admin.id, subject_id=person.id)
        issued = issue_code(request, session, admin, person, codes.Purpose.enrol)
    return code_page(request, person, issued, back="/admin")


def caseworker_code(request: Request) -> Response:
    admin = require(request, Role.org_admin)
    with db.write_session(state.engine(request)) as session:
        person = _my_caseworker(session, admin, request.path_params["user_id"])
        if person.disabled:
            raise HTTPException(404)
        # The admin never holds the caseworker's sign-in: the code completes only with the
        # caseworker's phone in front of the admin, and then removes every old way in.
        issued = issue_code(request, session, admin, person, codes.Purpose.staff)
    return code_page(request, person, issued, back="/admin")


def set_disabled(request: Request) -> Response:
    admin = require(request, Role.org_admin)
    disable = request.url.path.endswith("/disable")
    with db.write_session(state.engine(request)) as session:
        person = _my_caseworker(session, admin, request.path_params["user_id"])
        person.disabled = disable
        session.add(person)
        ended = sessions.end_all(session, person.id) if disable else 0  # type: ignore[arg-type]
        if disable:
            codes.void_open(session, person.id)  # type: ignore[arg-type]
        audit.record(
            session,
            "caseworker_disabled" if disable else "caseworker_enabled",
            actor_id=admin.id,
            subject_id=person.id,
            detail=f"sessions={ended}",
        )
    return RedirectResponse("/admin", status_code=303)


routes = [
    Route("/admin", admin_page, name="admin"),
    Route("/admin/caseworkers", form_endpoint(create_caseworker), methods=["POST"]),
    Route("/admin/caseworkers/{user_id:id}/code", caseworker_code, methods=["POST"]),
    Route("/admin/caseworkers/{user_id:id}/disable", set_disabled, methods=["POST"]),
    Route("/admin/caseworkers/{user_id:id}/enable", set_disabled, methods=["POST"]),
]
