"""Enrolment in the meeting, the caseworker's side: the caseload (/people), a new victim's
account and plan, and a one-time code to (re-)enrol a victim's phone, shown as a QR code and as
text. The org admin does the same for caseworkers in app/orgs/routes.py; both issue codes
through app/auth/issuing.py. It sits in sharing because who is in a caseload is a plan grant.

Nobody can change someone else's login from afar: a code only works when the person redeems it
on their own device, and a code that revokes the old passkeys does so only at that moment.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app import audit, db, inputs, state
from app.auth import codes, issuing, retention
from app.auth.access import require
from app.auth.models import Role, User
from app.i18n import _
from app.i18n import current_locale as locale
from app.plans.access import active_grant, granted_victims
from app.plans.queries import create_plan, plan_of, template_for
from app.sharing.caseload import extras as caseload_extras
from app.web import form_endpoint, render


def _my_victim(session: Session, caseworker: User, person_id: int) -> User:
    """A victim whose plan this caseworker may see (an active grant); anyone else is 404."""
    person = session.get(User, person_id)
    plan = plan_of(session, person_id) if person and person.role == Role.victim else None
    if plan is None or active_grant(session, plan.id, caseworker.id) is None:  # type: ignore[arg-type]
        raise HTTPException(404)
    return person  # type: ignore[return-value]


def _people_context(request: Request, session: Session, caseworker: User) -> dict[str, Any]:
    """The caseload: the people whose plans are granted to this caseworker, names only; those
    who have not used their account for a long time are flagged (app/auth/retention.py)."""
    caseload = granted_victims(session, caseworker.id)  # type: ignore[arg-type]
    ids = [v.id for _plan, v in caseload]
    counts = issuing.passkey_counts(session, ids)  # type: ignore[arg-type]
    days = state.settings(request).unused_account_days
    unused = retention.unused(session, ids, days)  # type: ignore[arg-type]
    return {
        **caseload_extras(session, [plan.id for plan, _v in caseload]),  # type: ignore[misc]
        "caseload": caseload,
        "counts": counts,
        "errors": {},
        "name": "",
        "unused": unused,
        "unused_months": retention.months(days),
    }


def people(request: Request) -> Response:
    caseworker = require(request, Role.caseworker)
    with db.read_session(state.engine(request)) as session:
        context = _people_context(request, session, caseworker)
    return render(request, "auth/people.html", context)


def create_person(request: Request, form: FormData) -> Response:
    caseworker = require(request, Role.caseworker)
    name, error = issuing.clean_name(inputs.text(form, "display_name", multiline=True))
    if error:
        with db.read_session(state.engine(request)) as session:
            context = _people_context(request, session, caseworker)
        context |= {"errors": {"display_name": _(error)}, "name": name}
        return render(request, "auth/people.html", context, status_code=400)
    with db.write_session(state.engine(request)) as session:
        person = User(role=Role.victim, display_name=name, enrolled_by_id=caseworker.id)
        session.add(person)
        session.flush()
        plan = create_plan(
            session,
            person,
            template_for(session, caseworker.organisation_id),
            locale(),
            caseworker,
        )
        audit.record(
            session, "victim_created", actor_id=caseworker.id, subject_id=person.id, plan_id=plan.id
        )
        issued = issuing.issue_code(request, session, caseworker, person, codes.Purpose.enrol)
    return issuing.code_page(request, person, issued, back="/people")


def _person_code(request: Request, purpose: codes.Purpose) -> Response:
    caseworker = require(request, Role.caseworker)
    with db.write_session(state.engine(request)) as session:
        person = _my_victim(session, caseworker, request.path_params["person_id"])
        issued = issuing.issue_code(request, session, caseworker, person, purpose)
    return issuing.code_page(request, person, issued, back="/people")


def person_code(request: Request) -> Response:
    return _person_code(request, codes.Purpose.device)


def person_code_revoke(request: Request) -> Response:
    """Lost phone: once the new phone is confirmed in the meeting, every old way in goes
    (passkeys, password, user name, sessions). Until then nothing changes for the victim."""
    return _person_code(request, codes.Purpose.recover)


routes = [
    Route("/people", people, name="people"),
    Route("/people/new", form_endpoint(create_person), methods=["POST"]),
    Route("/people/{person_id:id}/code", person_code, methods=["POST"]),
    Route("/people/{person_id:id}/code-revoke", person_code_revoke, methods=["POST"]),
]
