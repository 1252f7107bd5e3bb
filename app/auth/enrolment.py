"""Enrolment in the meeting: a caseworker creates a victim's account (or re-enrols it) and
shows a one-time code as a QR code and as text; an org admin does the same for caseworkers.

Nobody can change someone else's login from afar: a code only works when the person redeems it
on their own device, and a code that revokes the old passkeys does so only at that moment.
"""

from __future__ import annotations

from typing import Any

import segno
from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app import audit, db, inputs, state
from app.auth import codes
from app.auth.access import require
from app.auth.identity import by_name
from app.auth.models import EnrolmentCode, Passkey, Role, User
from app.i18n import N_, _
from app.i18n import current_locale as locale
from app.plans.queries import create_plan, template_for
from app.web import form_endpoint, render

MAX_NAME = 100


def clean_name(value: object) -> tuple[str, str | None]:
    """(name, error msgid) for a display name typed into a form."""
    name = " ".join(str(value or "").split())
    if not name:
        return name, N_("Write a name.")
    if len(name) > MAX_NAME:
        return name[:MAX_NAME], N_("The name can be at most 100 characters.")
    return name, None


def code_page(
    request: Request, person: User, issued: tuple[EnrolmentCode, str], back: str
) -> Response:
    """Show a fresh code once: QR (a data: URI image, no inline script) and text, with the
    form where the issuer types the confirmation the new phone shows."""
    row, code = issued
    origin = state.settings(request).origin
    qr = segno.make(f"{origin}/enrol#{code}", error="m")
    return render(
        request,
        "auth/code.html",
        {
            "person": person,
            "row": row,
            "code": code,
            "qr": qr.svg_data_uri(scale=6, border=2),
            "minutes": int(codes.VALID_FOR.total_seconds() // 60),
            "back": back,
            "errors": {},
        },
    )


def issue_code(
    request: Request, session: Session, actor: User, person: User, purpose: codes.Purpose
) -> tuple[EnrolmentCode, str]:
    issued = codes.issue(
        session,
        state.settings(request).secret_key,
        person.id,  # type: ignore[arg-type]
        actor.id,
        purpose=purpose,
    )
    audit.record(
        session,
        "enrolment_code_issued",
        actor_id=actor.id,
        subject_id=person.id,
        ip=audit.request_ip(request),
        detail=purpose.value,
    )
    return issued


def _my_victim(session: Session, caseworker: User, person_id: int) -> User:
    """A victim whose plan this caseworker may see (an active grant); anyone else is 404."""
    from app.plans.queries import plan_of
    from app.sharing.access import active_grant

    person = session.get(User, person_id)
    plan = plan_of(session, person_id) if person and person.role == Role.victim else None
    if plan is None or active_grant(session, plan.id, caseworker.id) is None:  # type: ignore[arg-type]
        raise HTTPException(404)
    return person  # type: ignore[return-value]


def _passkey_counts(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.exec(
        select(Passkey.user_id, func.count())
        .where(col(Passkey.user_id).in_(ids))
        .group_by(col(Passkey.user_id))
    ).all()
    return dict(rows)


def _people_context(session: Session, caseworker: User) -> dict[str, Any]:
    """The caseload: the people whose plans are granted to this caseworker, names only."""
    from app.sharing.access import granted_victims

    caseload = granted_victims(session, caseworker.id)  # type: ignore[arg-type]
    counts = _passkey_counts(session, [v.id for _plan, v in caseload])  # type: ignore[misc]
    return {"caseload": caseload, "counts": counts, "errors": {}, "name": ""}


def people(request: Request) -> Response:
    caseworker = require(request, Role.caseworker)
    with db.read_session(state.engine(request)) as session:
        context = _people_context(session, caseworker)
    return render(request, "auth/people.html", context)


def create_person(request: Request, form: FormData) -> Response:
    caseworker = require(request, Role.caseworker)
    name, error = clean_name(inputs.text(form, "display_name", multiline=True))
    if error:
        with db.read_session(state.engine(request)) as session:
            context = _people_context(session, caseworker)
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
        issued = issue_code(request, session, caseworker, person, codes.Purpose.enrol)
    return code_page(request, person, issued, back="/people")


def _person_code(request: Request, purpose: codes.Purpose) -> Response:
    caseworker = require(request, Role.caseworker)
    with db.write_session(state.engine(request)) as session:
        person = _my_victim(session, caseworker, request.path_params["person_id"])
        issued = issue_code(request, session, caseworker, person, purpose)
    return code_page(request, person, issued, back="/people")


def person_code(request: Request) -> Response:
    return _person_code(request, codes.Purpose.device)


def person_code_revoke(request: Request) -> Response:
    """Lost phone: once the new phone is confirmed in the meeting, every old way in goes
    (passkeys, password, user name, sessions). Until then nothing changes for the victim."""
    return _person_code(request, codes.Purpose.recover)


def context_for_admin(session: Session, admin: User) -> dict[str, Any]:
    caseworkers = by_name(
        session.exec(
            select(User).where(
                User.organisation_id == admin.organisation_id, User.role == Role.caseworker
            )
        ).all()
    )
    return {
        "caseworkers": caseworkers,
        "counts": _passkey_counts(session, [c.id for c in caseworkers]),  # type: ignore[misc]
    }


routes = [
    Route("/people", people, name="people"),
    Route("/people/new", form_endpoint(create_person), methods=["POST"]),
    Route("/people/{person_id:id}/code", person_code, methods=["POST"]),
    Route("/people/{person_id:id}/code-revoke", person_code_revoke, methods=["POST"]),
]
