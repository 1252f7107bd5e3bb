"""The fresh passkey check (issue 12 point 1) for changes outside the account page: who may see
the plan and who gets the alarm.

Only a passkey check in the last five minutes counts (``sessions.is_fresh``); a password sign-in
never does. Without one, the route re-renders the same form with what she typed, status 403, and
:func:`needed` gives the template a message and a link to ``/account/verify?next=…``, which
brings her back to the page after the check. ``next`` is only ever a path on this site.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from starlette.requests import Request

from app.auth import sessions
from app.auth.access import current_auth
from app.i18n import N_, _

DEFAULT_NEXT = "/account"
MAX_NEXT = 300
MESSAGE = N_(
    "To change this, first confirm with your passkey that it is you. This protects you if "
    "someone else knows your password. Afterwards you come back to this page."
)


def safe_next(value: object) -> str:
    """``value`` when it is a path on this site (``/plans/3/contacts``), else ``/account``.

    Refused: anything with a scheme or host (``https://x``, ``//x``, ``/\\x``), backslashes,
    spaces or control characters, over-long values."""
    if not isinstance(value, str) or not value.startswith("/") or len(value) > MAX_NEXT:
        return DEFAULT_NEXT
    if value.startswith("//") or "\\" in value or any(c <= " " or c == "\x7f" for c in value):
        return DEFAULT_NEXT
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return DEFAULT_NEXT
    return value


def verify_url(next_path: str) -> str:
    target = safe_next(next_path)
    if target == DEFAULT_NEXT:
        return "/account/verify"
    return "/account/verify?next=" + quote(target, safe="/")


def is_fresh(request: Request) -> bool:
    auth = current_auth(request)
    return auth is not None and sessions.is_fresh(auth)


def needed(next_path: str, form: str = "") -> dict[str, Any]:
    """What the templates show when the check is missing (``form`` names the form it is for)."""
    return {"message": _(MESSAGE), "url": verify_url(next_path), "form": form}
