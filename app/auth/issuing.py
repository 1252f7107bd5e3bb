"""Issuing a one-time code in a meeting, shared by the caseworker's people page
(app/sharing/enrolment.py) and the org admin's page (app/orgs/routes.py): the display name typed
for a new person, the code shown as a QR code and as text, and the audit record of the issue.
"""

from __future__ import annotations

from typing import Any

import segno
from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response

from app import audit, state
from app.auth import codes
from app.auth.identity import by_name
from app.auth.models import EnrolmentCode, Passkey, Role, User
from app.i18n import N_
from app.web import render

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


def passkey_counts(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.exec(
        select(Passkey.user_id, func.count())
        .where(col(Passkey.user_id).in_(ids))
        .group_by(col(Passkey.user_id))
    ).all()
    return dict(rows)


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
        "counts": passkey_counts(session, [c.id for c in caseworkers]),  # type: ignore[misc]
    }
