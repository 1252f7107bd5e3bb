"""Who is asking: the signed-in user and the role checks every route uses."""

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
