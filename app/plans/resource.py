"""Plan-bound routes as short declarations (issue 13 point 1): the plan, its contacts, and
whatever else hangs off one victim's plan.

``route(path, handler)`` is :func:`app.auth.endpoints.endpoint` with the plan access check as
its step: a handler gets a :class:`PlanCall` whose ``access`` says whose plan it is and who
asks (404 for anyone without access). A GET is recorded as a read when someone other than the
victim asks (``read="how"``); ``read=None`` leaves that to the handler. :func:`respond` is the
one answer to a write: the changed fragment for htmx, back to the page for a plain form, the
page with the errors for a refused one (4xx: that shows the plan, so it is a read).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app.auth.endpoints import Call, Handler, Later, Stale, endpoint
from app.auth.models import Role, User
from app.i18n import N_
from app.plans.access import PlanAccess, audit_change, audit_read, plan_access, read_access
from app.web import is_htmx, render

Context = Callable[["PlanCall"], dict[str, Any]]
Row = TypeVar("Row", bound=Any)
STALE = N_("The form is out of date. Reload the page and try again.")
RETARGET = {"HX-Retarget": "#main", "HX-Reswap": "innerHTML"}
EVERYONE = (Role.victim, Role.caseworker)


@dataclass
class PlanCall(Call):
    access: PlanAccess

    @property
    def plan_id(self) -> int:
        return self.access.plan.id  # type: ignore[return-value]

    def find(self, model: type[Row], row_id: int | None) -> Row | None:
        """A row of this plan (an item, a contact…) by id; None for a row of another plan."""
        row = self.session.get(model, row_id) if row_id is not None else None
        return row if row is not None and row.plan_id == self.plan_id else None

    def row(self, model: type[Row], param: str) -> Row:
        """The row the path names (``param``), of this plan: 404 otherwise."""
        found = self.find(model, self.param(param))
        if found is None:
            raise HTTPException(404)
        return found

    def audit_change(self, what: str) -> None:
        """Writes by anyone but the victim are recorded and shown to her (ids only)."""
        audit_change(self.request, self.session, self.access, what)


def route(
    path: str,
    handler: Handler[PlanCall],
    *,
    write: bool = False,
    read: str | None = "",
    on_stale: Stale[PlanCall] | None = None,
    name: str | None = None,
) -> Route:
    def prepare(request: Request, user: User, session: Session, form: FormData) -> PlanCall:
        plan_id = int(request.path_params["plan_id"])
        if not write and read is not None:
            access = read_access(request, session, user, read)
        else:
            access = plan_access(session, user, plan_id)
        return PlanCall(request, user, session, form, access)

    return Route(
        path,
        endpoint(handler, EVERYONE, write=write, prepare=prepare, on_stale=on_stale),
        methods=["POST"] if write else ["GET"],
        name=name,
    )


def show(
    template: str,
    context: Context,
    partial: str | None = None,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Later:
    """Render ``template`` (or for htmx its ``partial``) once the write has committed."""

    def later(call: PlanCall) -> Response:
        return render(
            call.request,
            template,
            context(call),
            partial=partial,
            status_code=status,
            headers=headers,
        )

    return later


def respond(
    call: PlanCall,
    *,
    page: str,
    partial: str | None,
    context: Context,
    fragment: Context | None = None,
    back: str,
    status: int = 200,
) -> Later:
    """htmx: the ``partial`` with the ``fragment`` context (no partial: the page's main
    block); a plain form: 303 to ``back``, or the whole page with the ``context`` when the write
    was refused (``status`` 4xx)."""
    if status != 200:
        audit_read(call.request, call.access, "refused", call.session)

    def later(c: PlanCall) -> Response:
        if is_htmx(c.request):
            return render(
                c.request, page, (fragment or context)(c), partial=partial, status_code=status
            )
        if status != 200:
            return render(c.request, page, context(c), status_code=status)
        return RedirectResponse(back, status_code=303)

    return later


def conflict(call: PlanCall, template: str, context: Context) -> Later:
    """Never a silent overwrite: the row as it is now next to what the user typed, 409. For
    htmx it replaces the main content and its forms are plain forms. It shows current
    content: a read."""
    audit_read(call.request, call.access, "conflict", call.session)
    headers = RETARGET if is_htmx(call.request) else None
    return show(template, context, status=409, headers=headers)
