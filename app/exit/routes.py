"""Quick exit (docs/design.md §5): the page that explains the button honestly before the victim
relies
on it, the victim's "sign me out when I leave" choice, and the beacon that choice sends."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app import audit, db, state
from app.auth import sessions
from app.auth.access import QUICK_EXIT_ABOUT, current_auth, current_user, home_for, require
from app.auth.models import Role, User
from app.web import form_endpoint, render

ABOUT = QUICK_EXIT_ABOUT


async def about(request: Request) -> Response:
    # htmx swaps just the explanation into the page that asked for it.
    user = current_user(request)
    home = home_for(user) if user else "/"
    return render(request, "exit/about.html", {"home": home}, block="explanation")


def save_setting(request: Request, form: FormData) -> Response:
    user = require(request, Role.victim)
    signs_out = form.get("exit_signs_out") == "on"
    with db.write_session(state.engine(request)) as session:
        row = session.get(User, user.id)
        assert row is not None
        row.exit_signs_out = signs_out
        if "exit_shift_shown" in form:  # an unticked box is not sent: only this form turns it off
            row.exit_shift = form.get("exit_shift") == "on"
        session.add(row)
        detail = f"signs_out={int(signs_out)} shift={int(row.exit_shift)}"
        audit.own_event(request, session, user.id, "exit_setting", detail)
    return RedirectResponse(ABOUT, status_code=303)


def sign_out(request: Request) -> Response:
    """The beacon quick exit sends when the user chose it: ends this session only (other devices
    stay signed in). Nobody reads the answer; the page is already gone."""
    auth = current_auth(request)
    response = Response(status_code=204)
    if auth is not None:
        with db.write_session(state.engine(request)) as session:
            sessions.end(session, auth.id, auth.user_id)  # type: ignore[arg-type]
            audit.own_event(request, session, auth.user_id, "sign_out", "quick_exit")
    sessions.clear_cookie(response, state.settings(request))
    return response


routes = [
    Route(ABOUT, about, name="exit_about"),
    Route(ABOUT + "/setting", form_endpoint(save_setting), methods=["POST"]),
    Route(ABOUT + "/sign-out", sign_out, methods=["POST"]),
]
