"""Who is asking: the signed-in user, the role checks every route uses, and where a sign-in
lands."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from app.auth.models import AuthSession, Role, User


class SignInRequired(Exception):
    """Raised for anonymous visitors to a signed-in page; answered with a redirect to /login."""


def current_user(request: Request) -> User | None:
    return request.scope.get("state", {}).get("user")


def current_auth(request: Request) -> AuthSession | None:
    return request.scope.get("state", {}).get("auth")


def require(request: Request, *roles: Role) -> User:
    """The signed-in user if their role may use this route.

    Anonymous → sign in first. Another role → 404: a route's existence is nothing to show.
    """
    user = current_user(request)
    if user is None:
        raise SignInRequired
    if roles and user.role not in roles:
        raise HTTPException(404)
    return user


def home_for(user: User) -> str:
    return {Role.victim: "/plan", Role.caseworker: "/people", Role.org_admin: "/admin"}[
        Role(user.role)
    ]


QUICK_EXIT_ABOUT = "/quick-exit"  # the quick exit's explanation page (app/exit/routes.py)


def after_enrolment(user: User) -> str:
    """Where a new sign-in with an enrolment code lands. A victim's enrolment is their first
    sign-in, in the meeting with the adviser: the quick exit's explanation comes before anything
    is relied on (and again after "lost phone", on the new device). It links on to the plan."""
    return QUICK_EXIT_ABOUT if user.role == Role.victim else home_for(user)
